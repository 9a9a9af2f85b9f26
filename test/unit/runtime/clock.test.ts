import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock, realClock } from "../../../src/runtime/clock.ts";

describe("FakeClock", () => {
  it("fires due timers in time order, same-instant timers in creation order", async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("c@300"), 300);
    clock.setTimeout(() => fired.push("a@100"), 100);
    clock.setTimeout(() => fired.push("b@100"), 100);
    clock.setTimeout(() => fired.push("d@500"), 500);
    await clock.advance(300);
    assert.deepEqual(fired, ["a@100", "b@100", "c@300"]);
    assert.equal(clock.now(), 1300);
    assert.equal(clock.pendingTimers(), 1);
    assert.equal(clock.nextTimerAt(), 1500);
  });

  it("shows each timer the time it was due at and lets promise chains run between timers", async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => seen.push(`chain@${clock.now()}`));
    }, 10);
    clock.setTimeout(() => seen.push(`timer@${clock.now()}`), 20);
    await clock.advance(100);
    assert.deepEqual(seen, ["chain@10", "timer@20"]);
  });

  it("fires timers set by timers when they fall inside the advanced window", async () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const tick = (): void => {
      at.push(clock.now());
      clock.setTimeout(tick, 40);
    };
    clock.setTimeout(tick, 40);
    await clock.advance(130);
    assert.deepEqual(at, [40, 80, 120]);
  });

  it("cleared timers never fire", async () => {
    const clock = new FakeClock(0);
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(h);
    await clock.advance(10);
    assert.equal(fired, false);
    assert.equal(clock.pendingTimers(), 0);
  });

  it("sleep resolves when time passes, and early (without rejecting) on abort", async () => {
    const clock = new FakeClock(0);
    let slept = false;
    const p = clock.sleep(1000).then(() => (slept = true));
    await clock.advance(999);
    assert.equal(slept, false);
    await clock.advance(1);
    await p;
    assert.equal(slept, true);

    const ac = new AbortController();
    const q = clock.sleep(60_000, ac.signal);
    ac.abort();
    await q;
    assert.equal(clock.now(), 1000);
    assert.equal(clock.pendingTimers(), 0);
  });

  it("advanceToNextTimer jumps exactly to the next timer", async () => {
    const clock = new FakeClock(0);
    clock.setTimeout(() => undefined, 750);
    assert.equal(await clock.advanceToNextTimer(), true);
    assert.equal(clock.now(), 750);
    assert.equal(await clock.advanceToNextTimer(), false);
  });

  it("stall moves time without firing timers; the overdue ones fire on the next advance", async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 100);
    clock.stall(500);
    assert.deepEqual(fired, []);
    assert.equal(clock.now(), 500);
    await clock.advance(0);
    assert.deepEqual(fired, [500]);
  });

  it("rejects negative advances", async () => {
    await assert.rejects(new FakeClock().advance(-1), RangeError);
  });
});

describe("realClock", () => {
  it("sleep with an already-aborted signal resolves without arming a timer", async () => {
    const ac = new AbortController();
    ac.abort();
    const before = realClock.now();
    await realClock.sleep(3_600_000, ac.signal);
    assert.ok(realClock.now() - before < 3_600_000);
  });

  it("clearTimeout cancels a timer longer than Node's 24.8-day limit instead of letting it fire at once", async () => {
    let fired = false;
    const h = realClock.setTimeout(() => (fired = true), 30 * 24 * 3600 * 1000);
    await new Promise((r) => setTimeout(r, 20));
    realClock.clearTimeout(h);
    assert.equal(fired, false);
  });
});
