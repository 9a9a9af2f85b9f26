/**
 * One pass of the bound-resource controller against fakes (cache, writer, recorder, borrowed session): what it
 * writes, publishes and schedules for each state of the server, each class of failure, and deletion.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { Borrowed } from "../../../src/dittoserver/api-pass.ts";
import type { ReconcileContext } from "../../../src/runtime/controller.ts";
import { ApiError } from "../../../src/runtime/errors.ts";
import type { JsonPatchOp } from "../../../src/runtime/client.ts";
import type { PublishedEvent } from "../../../src/runtime/events.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import type { ResourceType } from "../../../src/runtime/resources.ts";
import type { BoundObject, CleanupStepResult, ServerboundKind, SyncContext, SyncResult } from "../../../src/serverbound/kind.ts";
import { reconcileBound } from "../../../src/serverbound/pass.ts";
import type { BoundDeps } from "../../../src/serverbound/pass.ts";
import { server } from "../dittoserver/fixtures.ts";

const NOW = 1_750_000_000_000;
const THINGS: ResourceType = { group: "dittofs.dittofs.com", version: "v1alpha1", plural: "things", kind: "Thing", namespaced: true };
const KEY = "team-a/t1";
const FINALIZER = "dittofs.dittofs.com/thing";
const ctx: ReconcileContext = { reconcileID: "r", logger: undefined as never, signal: new AbortController().signal };

function thing(meta: Partial<BoundObject["metadata"]> = {}): BoundObject {
  return { apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "Thing", metadata: { name: "t1", namespace: "team-a", uid: "thing-uid", generation: 1, ...meta }, spec: { serverRef: { name: "fs1" } } };
}

interface Options {
  finalizer?: boolean;
  sync?: (c: SyncContext) => Promise<SyncResult>;
  cleanup?: (c: SyncContext) => Promise<CleanupStepResult>;
}

function world(opts: Options = {}) {
  const objects = new Map<string, KubeObject>();
  const statusWrites: Record<string, unknown>[] = [];
  const patches: JsonPatchOp[][] = [];
  const events: PublishedEvent[] = [];
  const refused: string[] = [];
  const synced: SyncContext[] = [];
  const cleaned: SyncContext[] = [];
  let borrowed: Borrowed = { ok: true, api: {} as never, token: "tok-1", where: "10.200.0.7:8080" };
  let now = NOW;
  const kind: ServerboundKind = {
    resource: THINGS,
    controllerName: "thing",
    sync: async (c) => {
      synced.push(c);
      return opts.sync ? opts.sync(c) : { fields: { seen: c.token }, synced: { status: "True", reason: "InSync", message: "in sync" } };
    },
    ...(opts.finalizer
      ? { finalizer: { name: FINALIZER, needsServer: () => true, cleanup: async (c: SyncContext) => (cleaned.push(c), opts.cleanup ? opts.cleanup(c) : { done: true as const }) } }
      : {}),
  };
  const deps: BoundDeps = {
    kind,
    cache: { get: (res, key) => objects.get(`${res.plural}/${key}`), list: (res, namespace) => [...objects].filter(([k]) => k.startsWith(`${res.plural}/${namespace}/`)).map(([, o]) => o) },
    writer: {
      applyStatus: (_res, obj) => {
        statusWrites.push(obj.status as Record<string, unknown>);
        const key = `things/${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
        const current = objects.get(key);
        if (current) objects.set(key, { ...current, status: obj.status });
        return Promise.resolve(obj);
      },
      jsonPatch: (_res, _ref, ops) => {
        patches.push(ops);
        return Promise.resolve({} as KubeObject);
      },
      create: (res, obj) => {
        const key = `${res.plural}/${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
        if (objects.has(key)) return Promise.reject(new ApiError(409, "AlreadyExists", `${res.plural} "${obj.metadata.name ?? ""}" already exists`, ""));
        const created = { ...obj, metadata: { ...obj.metadata, uid: "created-uid" } };
        objects.set(key, created);
        return Promise.resolve(created);
      },
    },
    recorder: { publish: (e) => void events.push(e) },
    dittofs: { borrow: () => borrowed, tokenRefused: (key) => void refused.push(key) },
    clock: { now: () => now },
    random: () => 0,
    memory: new Map(),
  };
  const put = (o: KubeObject) => objects.set(`${o.kind === "DittoServer" ? "dittoservers" : "things"}/${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`, o);
  const get = () => objects.get(`things/${KEY}`) as BoundObject;
  return {
    deps, put, get, statusWrites, patches, events, refused, synced, cleaned,
    pass: () => reconcileBound(deps, KEY, ctx),
    setBorrowed: (b: Borrowed) => void (borrowed = b),
    advance: (ms: number) => void (now += ms),
  };
}

const conditions = (o: BoundObject) => (o.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`);
const rejectedError = () => new DittoFsError("rejected", 400, "POST", "/api/v1/things", "HTTP 400: invalid thing");

describe("server resolution", () => {
  it("a missing DittoServer: ServerNotFound on both conditions, one write and one event, and no requeue (no hot loop)", async () => {
    const w = world();
    w.put(thing());
    assert.equal(await w.pass(), undefined);
    assert.deepEqual(conditions(w.get()), ["Ready=False/ServerNotFound", "Synced=False/ServerNotFound"]);
    assert.deepEqual(w.events.map((e) => [e.type, e.reason]), [["Warning", "ServerNotFound"]]);
    assert.equal(await w.pass(), undefined);
    assert.equal(w.statusWrites.length, 1, "the same verdict is not written again");
    assert.equal(w.events.length, 1, "events on transitions only");
    assert.equal(w.synced.length, 0);
  });

  it("a DittoServer being deleted: ServerDeleting, no requeue", async () => {
    const w = world();
    w.put(thing());
    w.put(server({}, { deletionTimestamp: "2026-01-01T00:00:00Z" }));
    assert.equal(await w.pass(), undefined);
    assert.deepEqual(conditions(w.get()), ["Ready=False/ServerDeleting", "Synced=False/ServerDeleting"]);
  });

  it("no session: ServerNotReady with the server's reason, and one safety requeue at its poll interval", async () => {
    const w = world();
    w.put(thing());
    w.put(server({ adapterDiscovery: { pollingInterval: "45s" } }));
    w.setBorrowed({ ok: false, reason: "AuthenticationFailed", message: "the admin password was refused" });
    assert.deepEqual(await w.pass(), { requeueAfter: 45_000 });
    assert.deepEqual(conditions(w.get()), ["Ready=False/ServerNotReady", "Synced=False/ServerNotReady"]);
    assert.match(w.get().status?.conditions?.[1]?.message ?? "", /reason AuthenticationFailed/);
  });
});

describe("sync", () => {
  it("runs the kind's step with the borrowed token, writes its fields and InSync, comes back at the poll interval; in sync nothing is written", async () => {
    const w = world();
    w.put(thing());
    w.put(server());
    assert.deepEqual(await w.pass(), { requeueAfter: 30_000 });
    assert.equal(w.synced[0]?.token, "tok-1");
    assert.equal(w.synced[0]?.where, "10.200.0.7:8080");
    assert.equal(w.get().status?.seen, "tok-1");
    assert.equal(w.get().status?.observedGeneration, 1);
    assert.deepEqual(conditions(w.get()), ["Ready=True/InSync", "Synced=True/InSync"]);
    assert.deepEqual(w.events.map((e) => [e.type, e.reason]), [["Normal", "InSync"]]);
    await w.pass();
    assert.equal(w.synced.length, 2, "every pass looks at the server (drift)");
    assert.equal(w.statusWrites.length, 1, "but writes only a change");
    assert.equal(w.events.length, 1);
  });

  it("a kind's own verdict: Ready may stay True while Synced is False", async () => {
    const w = world({ sync: () => Promise.resolve({ fields: {}, ready: { status: "True", reason: "Exists", message: "exists" }, synced: { status: "False", reason: "Conflict", message: "owned elsewhere" } }) });
    w.put(thing());
    w.put(server());
    await w.pass();
    assert.deepEqual(conditions(w.get()), ["Ready=True/Exists", "Synced=False/Conflict"]);
  });

  it("record() writes status fields before the step ends, and the final write keeps them", async () => {
    const w = world({
      sync: async (c) => {
        await c.record({ intent: "create" });
        return { fields: { id: "s1", intent: "create" }, synced: { status: "True", reason: "InSync", message: "ok" } };
      },
    });
    w.put(thing());
    w.put(server());
    await w.pass();
    assert.deepEqual(w.statusWrites.map((s) => [s.intent, s.id]), [["create", undefined], ["create", "s1"]]);
  });

  it("createSecret() creates a Secret in the object's namespace; one made meanwhile (409) is answered from the cache", async () => {
    const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "generated", namespace: "team-a" } };
    const answers: (string | undefined)[] = [];
    const w = world({
      sync: async (c) => {
        answers.push((await c.createSecret(secret)).metadata.uid, (await c.createSecret(secret)).metadata.uid);
        return { fields: {}, synced: { status: "True", reason: "InSync", message: "ok" } };
      },
    });
    w.put(thing());
    w.put(server());
    await w.pass();
    assert.deepEqual(answers, ["created-uid", "created-uid"]);
  });

  it("a transient failure: APIUnreachable, and no call before the back-off allows it", async () => {
    const w = world({ sync: () => Promise.resolve({ fields: { partial: true }, synced: { status: "True", reason: "InSync", message: "" }, error: new DittoFsError("transient", 503, "GET", "/api/v1/things", "HTTP 503") }) });
    w.put(thing());
    w.put(server());
    const first = await w.pass();
    assert.equal(first?.requeueAfter, 2_000);
    assert.deepEqual(conditions(w.get()), ["Ready=False/APIUnreachable", "Synced=False/APIUnreachable"]);
    assert.equal(w.get().status?.partial, true, "what was done before the failure is recorded");
    w.advance(1_000);
    const gated = await w.pass();
    assert.equal(w.synced.length, 1, "inside the back-off: no call");
    assert.equal(gated?.requeueAfter, 1_000);
    w.advance(1_000);
    assert.equal((await w.pass())?.requeueAfter, 4_000, "then again, with a longer back-off");
  });

  it("a refusal (4xx): APIRejected with the server's message, retried on a spec change, not at each poll", async () => {
    const w = world({ sync: () => Promise.resolve({ fields: {}, synced: { status: "True", reason: "InSync", message: "" }, error: rejectedError() }) });
    w.put(thing());
    w.put(server());
    const first = await w.pass();
    assert.equal(first?.requeueAfter, 600_000, "bounded: retried after 10 minutes anyway");
    assert.match(w.get().status?.conditions?.[1]?.message ?? "", /invalid thing/);
    w.advance(30_000);
    await w.pass();
    assert.equal(w.synced.length, 1, "the same spec is not sent again");
    w.put({ ...w.get(), metadata: { ...w.get().metadata, generation: 2 } });
    await w.pass();
    assert.equal(w.synced.length, 2, "a new generation is tried at once");
  });

  it("a 401 tells the DittoServer's controller its token was refused, and backs off", async () => {
    const w = world({ sync: () => Promise.resolve({ fields: {}, synced: { status: "True", reason: "InSync", message: "" }, error: new DittoFsError("unauthorized", 401, "GET", "/api/v1/things", "HTTP 401") }) });
    w.put(thing());
    w.put(server());
    const out = await w.pass();
    assert.deepEqual(w.refused, ["team-a/fs1"]);
    assert.equal(out?.requeueAfter, 2_000);
    assert.deepEqual(conditions(w.get()), ["Ready=False/ServerNotReady", "Synced=False/ServerNotReady"]);
  });

  it("anything but a DittoFS failure is a bug: thrown for the work queue", async () => {
    const w = world({ sync: () => Promise.resolve({ fields: {}, synced: { status: "True", reason: "InSync", message: "" }, error: new TypeError("boom") }) });
    w.put(thing());
    w.put(server());
    await assert.rejects(w.pass(), TypeError);
  });

  it("a gone object drops its memory", async () => {
    const w = world();
    assert.equal(await w.pass(), undefined);
    assert.equal(w.deps.memory.size, 0);
  });
});

describe("finalizer", () => {
  const deleting = () => thing({ finalizers: [FINALIZER], deletionTimestamp: "2026-01-01T00:00:00Z" });

  it("is added first, before any call", async () => {
    const w = world({ finalizer: true });
    w.put(thing());
    w.put(server());
    assert.equal(await w.pass(), undefined);
    assert.equal(w.patches.length, 1);
    assert.equal(w.synced.length, 0);
  });

  it("deletion with the server gone or being deleted: the finalizer goes without a call, and an event says so", async () => {
    for (const present of [false, true]) {
      const w = world({ finalizer: true });
      w.put(deleting());
      if (present) w.put(server({}, { deletionTimestamp: "2026-01-01T00:00:00Z" }));
      await w.pass();
      assert.equal(w.cleaned.length, 0);
      assert.deepEqual(w.patches[0]?.map((op) => op.op), ["test", "remove"]);
      assert.deepEqual(w.events.map((e) => e.reason), ["CleanupSkipped"]);
    }
  });

  it("deletion with a ready server runs the kind's cleanup; a refusal keeps the finalizer and says why", async () => {
    const ok = world({ finalizer: true });
    ok.put(deleting());
    ok.put(server());
    await ok.pass();
    assert.equal(ok.cleaned.length, 1);
    assert.equal(ok.patches.length, 1, "finalizer removed");

    const refused = world({ finalizer: true, cleanup: () => Promise.resolve({ done: false, error: rejectedError() }) });
    refused.put(deleting());
    refused.put(server());
    const out = await refused.pass();
    assert.equal(out?.requeueAfter, 600_000);
    assert.equal(refused.patches.length, 0, "the finalizer stays");
    assert.deepEqual(conditions(refused.get()), ["Ready=False/APIRejected", "Synced=False/APIRejected"]);
  });

  it("deletion while the server has no session waits for it", async () => {
    const w = world({ finalizer: true });
    w.put(deleting());
    w.put(server());
    w.setBorrowed({ ok: false, reason: "APIUnreachable", message: "waiting for pod fs1-0" });
    assert.deepEqual(await w.pass(), { requeueAfter: 30_000 });
    assert.equal(w.patches.length, 0);
    assert.deepEqual(conditions(w.get()), ["Ready=False/ServerNotReady", "Synced=False/ServerNotReady"]);
  });
});
