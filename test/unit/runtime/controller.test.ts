import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { Controller, controller } from "../../../src/runtime/controller.ts";
import type { ControllerMetrics, ReconcileContext, ReconcileRequest, ReconcileResult } from "../../../src/runtime/controller.ts";
import { TerminalError } from "../../../src/runtime/errors.ts";
import { Informer } from "../../../src/runtime/informer.ts";
import { createLogger } from "../../../src/runtime/log.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { generationChanged } from "../../../src/runtime/predicates.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { FakeSource, list, settle } from "./fake-source.ts";

const THINGS: ResourceType = { group: "example.com", version: "v1", plural: "things", kind: "Thing", namespaced: true };
const logger = createLogger({ level: "silent" });

function thing(name: string, rv: string, generation = 1): KubeObject {
  return {
    apiVersion: "example.com/v1",
    kind: "Thing",
    metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: rv, generation },
  };
}

class RecordingMetrics implements ControllerMetrics {
  results: string[] = [];
  errors: string[] = [];
  maxActive = 0;
  reconciled(result: string): void {
    this.results.push(result);
  }
  error(kind: string): void {
    this.errors.push(kind);
  }
  maxConcurrent(): void {}
  activeWorkers(n: number): void {
    this.maxActive = Math.max(this.maxActive, n);
  }
}

interface Setup {
  clock: FakeClock;
  primary: FakeSource;
  children: FakeSource;
  ctrl: Controller;
  calls: ReconcileRequest[];
  metrics: RecordingMetrics;
  /** Attach the sources again (after a stop) and start the workers. */
  restart(): void;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A controller for Things that owns ConfigMaps, over scripted sources. */
async function setup(
  reconcile: (req: ReconcileRequest, n: number, ctx: ReconcileContext) => Promise<ReconcileResult | undefined> | ReconcileResult | undefined,
  opts: { workers?: number; things?: KubeObject[]; children?: KubeObject[] } = {},
): Promise<Setup> {
  const clock = new FakeClock();
  const primary = new FakeSource();
  primary.listScript.push(list("1", opts.things ?? []));
  const children = new FakeSource();
  children.listScript.push(list("1", opts.children ?? []));
  const calls: ReconcileRequest[] = [];
  const metrics = new RecordingMetrics();
  const spec = controller("things")
    .for(THINGS, { predicate: generationChanged })
    .owns(CORE.configMaps)
    .withOptions({ maxConcurrentReconciles: opts.workers ?? 1 })
    .reconcile((req, ctx) => {
      calls.push(req);
      return reconcile(req, calls.length, ctx);
    });
  const ctrl = new Controller(spec, { logger, clock, metrics });
  const informers = [primary, children].map((source, i) => {
    const inf = new Informer({ resource: spec.sources[i]!.resource, source, clock, resyncPeriodMs: 0 });
    inf.start();
    ctrl.attach(spec.sources[i]!, inf);
    return inf;
  });
  ctrl.start();
  cleanups.push(async () => {
    await ctrl.stop(1000);
    for (const i of informers) await i.stop();
  });
  await settle();
  const restart = (): void => {
    informers.forEach((inf, i) => {
      ctrl.attach(spec.sources[i]!, inf);
    });
    ctrl.start();
  };
  return { clock, primary, children, ctrl, calls, metrics, restart };
}

describe("Controller outcomes", () => {
  it("reconciles the key of an added primary once and forgets it on success", async () => {
    const s = await setup(() => undefined, { things: [thing("a", "1")] });
    assert.deepEqual(s.calls, [{ key: "ns/a", namespace: "ns", name: "a" }]);
    assert.deepEqual(s.metrics.results, ["success"]);
    await s.clock.advance(3_600_000);
    assert.equal(s.calls.length, 1);
  });

  it("runs again after requeueAfter", async () => {
    const s = await setup((_r, n) => (n === 1 ? { requeueAfter: 10_000 } : undefined), { things: [thing("a", "1")] });
    await s.clock.advance(9_999);
    assert.equal(s.calls.length, 1);
    await s.clock.advance(1);
    assert.equal(s.calls.length, 2);
    assert.deepEqual(s.metrics.results, ["requeue_after", "success"]);
  });

  it("retries errors with per-key exponential backoff (5 ms, 10 ms, …)", async () => {
    const s = await setup(
      (_r, n) => {
        if (n <= 3) throw new Error("api down");
        return undefined;
      },
      { things: [thing("a", "1")] },
    );
    assert.equal(s.calls.length, 1);
    await s.clock.advance(5);
    assert.equal(s.calls.length, 2);
    await s.clock.advance(9);
    assert.equal(s.calls.length, 2);
    await s.clock.advance(1);
    assert.equal(s.calls.length, 3);
    await s.clock.advance(20);
    assert.equal(s.calls.length, 4);
    assert.deepEqual(s.metrics.results, ["error", "error", "error", "success"]);
    assert.equal(s.ctrl.queue.numRequeues("ns/a"), 0, "success forgot the failures");
  });

  it("ignores requeueAfter returned together with an error", async () => {
    const s = await setup((_r, n) => (n === 1 ? { requeueAfter: 60_000, error: new Error("half done") } : undefined), {
      things: [thing("a", "1")],
    });
    await s.clock.advance(5);
    assert.equal(s.calls.length, 2, "rate-limited retry, not the 60 s requeue");
    await s.clock.advance(120_000);
    assert.equal(s.calls.length, 2);
  });

  it("retries an error no sooner than the retryFloorMs it came with", async () => {
    const s = await setup((_r, n) => (n === 1 ? { error: new Error("still refused"), retryFloorMs: 30_000 } : undefined), {
      things: [thing("a", "1")],
    });
    await s.clock.advance(29_999);
    assert.equal(s.calls.length, 1, "the limiter's 5 ms is raised to the floor");
    await s.clock.advance(1);
    assert.equal(s.calls.length, 2);
  });

  it("does not retry a TerminalError", async () => {
    const s = await setup(
      () => {
        throw new TerminalError("spec.size is not a quantity");
      },
      { things: [thing("a", "1")] },
    );
    await s.clock.advance(3_600_000);
    assert.equal(s.calls.length, 1);
    assert.deepEqual(s.metrics.errors, ["error", "terminal"]);
  });

  it("counts a programming error as a panic and still retries it", async () => {
    const s = await setup(
      (_r, n) => {
        if (n === 1) {
          const missing = undefined as unknown as ReconcileResult;
          return { requeueAfter: missing.requeueAfter }; // TypeError: reading a property of undefined
        }
        return undefined;
      },
      { things: [thing("a", "1")] },
    );
    await s.clock.advance(5);
    assert.equal(s.calls.length, 2);
    assert.deepEqual(s.metrics.errors, ["error", "panic"]);
  });
});

describe("Controller event routing", () => {
  it("skips primary updates that do not change the generation, reconciles those that do", async () => {
    const s = await setup(() => undefined, { things: [thing("a", "1", 1)] });
    s.primary.lastStream().frames({ type: "MODIFIED", object: thing("a", "2", 1) });
    await settle();
    assert.equal(s.calls.length, 1);
    s.primary.lastStream().frames({ type: "MODIFIED", object: thing("a", "3", 2) });
    await settle();
    assert.equal(s.calls.length, 2);
  });

  it("maps an owned child's events to its controller owner", async () => {
    const s = await setup(() => undefined, { things: [thing("a", "1")] });
    const child: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "a-config",
        namespace: "ns",
        resourceVersion: "5",
        ownerReferences: [
          { apiVersion: "example.com/v1", kind: "Thing", name: "a", uid: "uid-a", controller: true },
          { apiVersion: "example.com/v1", kind: "Thing", name: "b", uid: "uid-b" },
        ],
      },
    };
    s.children.lastStream().frames({ type: "ADDED", object: child });
    await settle();
    assert.deepEqual(s.calls.map((c) => c.key), ["ns/a", "ns/a"]);
  });

  it("never runs one key on two workers, and runs it once more if it changed meanwhile", async () => {
    let release: () => void = () => undefined;
    let active = 0;
    let maxActive = 0;
    const s = await setup(
      async (req) => {
        if (req.key !== "ns/a") return undefined;
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => (release = r));
        active--;
        return undefined;
      },
      { workers: 3, things: [thing("a", "1"), thing("b", "1")] },
    );
    assert.equal(s.calls.length, 2, "different keys run in parallel");
    s.primary.lastStream().frames({ type: "MODIFIED", object: thing("a", "2", 2) });
    s.primary.lastStream().frames({ type: "MODIFIED", object: thing("a", "3", 3) });
    await settle();
    assert.equal(s.calls.filter((c) => c.key === "ns/a").length, 1);
    release();
    await settle();
    assert.equal(s.calls.filter((c) => c.key === "ns/a").length, 2, "exactly one more run");
    release();
    await settle();
    assert.equal(maxActive, 1);
  });

  it("stop() waits for the in-flight reconcile and takes no new work", async () => {
    let release: () => void = () => undefined;
    let finished = false;
    const s = await setup(
      async (_req, n) => {
        if (n > 1) return undefined;
        await new Promise<void>((r) => (release = r));
        finished = true;
        return undefined;
      },
      { things: [thing("a", "1"), thing("b", "1")] },
    );
    assert.equal(s.calls.length, 1);
    const stopping = s.ctrl.stop(30_000);
    await settle();
    assert.equal(finished, false);
    release();
    assert.equal(await stopping, true);
    assert.equal(finished, true);
    await settle();
    assert.equal(s.calls.length, 1, "queued key b was not started");
  });

  it("stop() with a reason aborts the in-flight reconcile; a restart runs every key again", async () => {
    const signals: AbortSignal[] = [];
    const s = await setup(
      async (req, n, ctx) => {
        if (n > 1) return undefined;
        signals.push(ctx.signal);
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => { resolve(); }, { once: true });
        });
        throw new Error(`${req.name}: aborted`);
      },
      { things: [thing("a", "1"), thing("b", "1")] },
    );
    assert.equal(s.calls.length, 1);
    assert.equal(await s.ctrl.stop(30_000, "leadership lost"), true);
    assert.equal(signals[0]?.aborted, true);
    assert.match((signals[0]?.reason as Error).message, /leadership lost/);
    await settle();
    assert.equal(s.calls.length, 1, "nothing runs while stopped");
    s.restart();
    await settle();
    assert.deepEqual(s.calls.slice(1).map((c) => c.name).sort(), ["a", "b"], "the new run replays every object");
  });
});
