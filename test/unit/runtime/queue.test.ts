import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/runtime/clock.ts";
import {
  WorkQueue,
  itemExponentialRateLimiter,
  type RateLimiter,
  type UnfinishedWork,
  type WorkQueueMetrics,
} from "../../../src/runtime/queue.ts";

/** Lets pending promise continuations run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Tracks whether a promise has settled yet, without waiting on it. */
function watch<T>(p: Promise<T>): { done: () => boolean; value: () => T | undefined } {
  let done = false;
  let value: T | undefined;
  void p.then((v) => {
    done = true;
    value = v;
  });
  return { done: () => done, value: () => value };
}

function newQueue(clock = new FakeClock(0), rateLimiter?: RateLimiter): WorkQueue {
  return new WorkQueue({ name: "test", clock, rateLimiter: rateLimiter ?? itemExponentialRateLimiter() });
}

describe("WorkQueue add/get/done", () => {
  it("deduplicates a key added again while it is still queued", async () => {
    const q = newQueue();
    q.add("ns/a");
    q.add("ns/b");
    q.add("ns/a");
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), "ns/a");
    assert.equal(await q.get(), "ns/b");
    assert.equal(q.len(), 0);
  });

  it("never hands a key to a second worker while the first has not called done", async () => {
    const q = newQueue();
    q.add("k");
    assert.equal(await q.get(), "k");
    q.add("k");
    assert.equal(q.len(), 0, "a key in flight is not queued again");
    const second = watch(q.get());
    await settle();
    assert.equal(second.done(), false);
    q.done("k");
    await settle();
    assert.equal(second.done(), true);
    assert.equal(second.value(), "k");
  });

  it("runs a key re-added several times during processing exactly once afterwards", async () => {
    const q = newQueue();
    q.add("k");
    const key = await q.get();
    assert.equal(key, "k");
    q.add("k");
    q.add("k");
    q.add("k");
    q.done("k");
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), "k");
    q.done("k");
    assert.equal(q.len(), 0);
    const third = watch(q.get());
    await settle();
    assert.equal(third.done(), false, "no further run is pending");
    q.shutDown();
    await settle();
    assert.equal(third.value(), undefined);
  });

  it("hands keys to waiting getters in FIFO order of both keys and getters", async () => {
    const q = newQueue();
    const g1 = q.get();
    const g2 = q.get();
    q.add("x");
    q.add("y");
    assert.deepEqual(await Promise.all([g1, g2]), ["x", "y"]);
  });

  it("ignores done for keys that are not in flight", async () => {
    const q = newQueue();
    q.add("k");
    q.done("k");
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), "k");
  });
});

describe("WorkQueue delays", () => {
  it("addAfter releases the key when its time comes", async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.addAfter("k", 1000);
    await clock.advance(999);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
  });

  it("addAfter keeps the earlier ready time and releases the key once", async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.addAfter("k", 1000);
    q.addAfter("k", 300);
    q.addAfter("k", 2000);
    await clock.advance(299);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), "k");
    q.done("k");
    await clock.advance(5000);
    assert.equal(q.len(), 0, "the superseded later times do not add it again");
    assert.equal(clock.pendingTimers(), 0);
  });

  it("addAfter with a non-positive delay adds at once", () => {
    const q = newQueue();
    q.addAfter("a", 0);
    q.addAfter("b", -5);
    assert.equal(q.len(), 2);
  });

  it("releases many delayed keys in ready-time order", async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    const delays = [70, 10, 50, 30, 90, 20, 80, 40, 60];
    for (const d of delays) q.addAfter(`k${d}`, d);
    await clock.advance(100);
    const order: string[] = [];
    while (q.len() > 0) order.push((await q.get())!);
    assert.deepEqual(order, [...delays].sort((a, b) => a - b).map((d) => `k${d}`));
  });

  it("addRateLimited backs off 5 ms, 10 ms, 20 ms … per key, and forget resets", async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    const releasedAfter: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      q.addRateLimited("k");
      while (q.len() === 0) await clock.advanceToNextTimer();
      releasedAfter.push(clock.now() - start);
      await q.get();
      q.done("k");
    }
    assert.deepEqual(releasedAfter, [5, 10, 20, 40]);
    assert.equal(q.numRequeues("k"), 4);
    q.forget("k");
    assert.equal(q.numRequeues("k"), 0);
  });
});

describe("WorkQueue addRateLimited with a floor", () => {
  it("waits the floor when it is longer than the back-off, and the back-off when it is longer than the floor", async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.addRateLimited("k", 60_000); // a restarted leader: the limiter says 5 ms, the status says a minute
    await clock.advance(59_999);
    assert.equal(q.len(), 0, "not before the floor");
    await clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(q.numRequeues("k"), 1, "the failure still counts for the limiter");
    await q.get();
    q.done("k");
    q.addRateLimited("k", 2); // the limiter's 10 ms win over a 2 ms floor
    await clock.advance(9);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1);
  });
});

describe("WorkQueue shutdown", () => {
  it("wakes idle getters with undefined and ignores later adds", async () => {
    const q = newQueue();
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add("late");
    q.addAfter("late", 10);
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), undefined);
    assert.equal(q.isShuttingDown(), true);
  });

  it("still hands out keys queued before the shutdown, then undefined", async () => {
    const q = newQueue();
    q.add("a");
    q.add("b");
    q.shutDown();
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
    assert.equal(await q.get(), undefined);
  });

  it("drops delayed keys and their timer", async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.addAfter("a", 100);
    q.shutDown();
    assert.equal(clock.pendingTimers(), 0);
    await clock.advance(200);
    assert.equal(q.len(), 0);
  });

  it("shutDownWithDrain waits for in-flight keys", async () => {
    const q = newQueue();
    q.add("a");
    q.add("b");
    const a = (await q.get())!;
    const b = (await q.get())!;
    const drained = watch(q.shutDownWithDrain());
    q.done(a);
    await settle();
    assert.equal(drained.done(), false);
    q.done(b);
    await settle();
    assert.equal(drained.value(), true);
  });

  it("shutDownWithDrain gives up after its timeout", async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add("stuck");
    await q.get();
    const drained = watch(q.shutDownWithDrain(30_000));
    await clock.advance(29_999);
    assert.equal(drained.done(), false);
    await clock.advance(1);
    assert.equal(drained.value(), false);
  });

  it("shutDownWithDrain resolves at once when nothing is in flight", async () => {
    const q = newQueue();
    assert.equal(await q.shutDownWithDrain(10), true);
  });
});

describe("WorkQueue with concurrent workers (randomised model check)", () => {
  it("never runs a key twice at once and runs every key after its last add", async () => {
    // Small deterministic PRNG so a failure reproduces.
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    const keys = ["a", "b", "c", "d", "e"];
    const inFlight = new Set<string>();
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    let step = 0;
    let violations = 0;

    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        if (inFlight.has(key)) violations++;
        inFlight.add(key);
        lastStart.set(key, step);
        await clock.sleep(1 + rand(20));
        inFlight.delete(key);
        q.done(key);
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    for (step = 1; step <= 400; step++) {
      const key = keys[rand(keys.length)]!;
      lastAdd.set(key, step);
      if (rand(4) === 0) q.addAfter(key, rand(30));
      else q.add(key);
      await clock.advance(rand(8));
    }
    await clock.advance(1000);
    const drained = q.shutDownWithDrain();
    await clock.advance(1000);
    assert.equal(await drained, true);
    await Promise.all(workers);
    assert.equal(violations, 0);
    for (const [key, added] of lastAdd) {
      assert.ok((lastStart.get(key) ?? -1) >= added, `${key} last added at step ${added} but last started earlier`);
    }
  });
});

describe("WorkQueue metrics hooks", () => {
  it("reports adds, depth, queue and work durations, retries and unfinished work", async () => {
    const clock = new FakeClock(0);
    const calls = { added: 0, retried: 0, depth: [] as number[], queued: [] as number[], worked: [] as number[] };
    let probe: (() => UnfinishedWork) | undefined;
    const metrics: WorkQueueMetrics = {
      added: () => {
        calls.added++;
      },
      retried: () => {
        calls.retried++;
      },
      depth: (n) => void calls.depth.push(n),
      queued: (s) => void calls.queued.push(s),
      worked: (s) => void calls.worked.push(s),
      observeUnfinished: (p) => (probe = p),
    };
    const q = new WorkQueue({ name: "m", clock, metrics, rateLimiter: itemExponentialRateLimiter() });
    q.add("a");
    q.add("a");
    q.add("b");
    assert.equal(calls.added, 2, "deduplicated adds are not counted");
    assert.deepEqual(calls.depth, [1, 2]);
    await clock.advance(2000);
    const a = (await q.get())!;
    assert.deepEqual(calls.queued, [2]);
    await clock.advance(500);
    assert.deepEqual(probe!(), { unfinishedSeconds: 0.5, longestRunningSeconds: 0.5 });
    q.done(a);
    assert.deepEqual(calls.worked, [0.5]);
    q.addRateLimited("c");
    q.addAfter("d", 0);
    assert.equal(calls.retried, 2);
  });
});
