import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/runtime/clock.ts";
import {
  TokenBucket,
  bucketRateLimiter,
  defaultControllerRateLimiter,
  itemExponentialRateLimiter,
  maxOfRateLimiter,
} from "../../../src/runtime/ratelimit.ts";

describe("itemExponentialRateLimiter", () => {
  it("doubles from 5 ms per failure of the same item and caps at 1000 s", () => {
    const rl = itemExponentialRateLimiter();
    const delays = Array.from({ length: 22 }, () => rl.when("k"));
    assert.deepEqual(delays.slice(0, 6), [5, 10, 20, 40, 80, 160]);
    // 5 ms × 2^17 = 655.36 s is the last uncapped step; 2^18 would be 1310.72 s.
    assert.equal(delays[17], 655_360);
    assert.deepEqual(delays.slice(18), [1_000_000, 1_000_000, 1_000_000, 1_000_000]);
    assert.equal(rl.numRequeues("k"), 22);
  });

  it("keeps separate failure counts per item and forget resets one item", () => {
    const rl = itemExponentialRateLimiter(5, 1_000_000);
    rl.when("a");
    rl.when("a");
    assert.equal(rl.when("b"), 5);
    assert.equal(rl.when("a"), 20);
    rl.forget("a");
    assert.equal(rl.numRequeues("a"), 0);
    assert.equal(rl.when("a"), 5);
    assert.equal(rl.numRequeues("b"), 1);
  });

  it("stays at the cap for huge failure counts instead of overflowing", () => {
    const rl = itemExponentialRateLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 2000; i++) last = rl.when("k");
    assert.equal(last, 1_000_000);
  });

  it("rejects a base larger than the cap", () => {
    assert.throws(() => itemExponentialRateLimiter(10, 5), /0 < base <= max/);
  });
});

describe("bucketRateLimiter", () => {
  it("lets a burst of 100 through, then spaces requests 100 ms apart (10 qps)", () => {
    const clock = new FakeClock(0);
    const rl = bucketRateLimiter(10, 100, clock);
    const burst = Array.from({ length: 100 }, (_, i) => rl.when(`k${i}`));
    assert.ok(burst.every((d) => d === 0));
    const after = [rl.when("x"), rl.when("y"), rl.when("z")];
    assert.deepEqual(after.map((d) => Math.round(d)), [100, 200, 300]);
  });

  it("refills 10 tokens per second, up to the burst", async () => {
    const clock = new FakeClock(0);
    const rl = bucketRateLimiter(10, 100, clock);
    for (let i = 0; i < 100; i++) rl.when("k");
    await clock.advance(1000);
    const refilled = Array.from({ length: 11 }, () => rl.when("k"));
    assert.ok(refilled.slice(0, 10).every((d) => d === 0));
    assert.equal(Math.round(refilled[10]!), 100);
    await clock.advance(3_600_000);
    const afterIdle = Array.from({ length: 101 }, () => rl.when("k"));
    assert.equal(afterIdle.filter((d) => d === 0).length, 100, "an idle bucket holds at most the burst");
  });

  it("is global: forget does not refund tokens and numRequeues is 0", () => {
    const clock = new FakeClock(0);
    const rl = bucketRateLimiter(1, 1, clock);
    assert.equal(rl.when("a"), 0);
    rl.forget("a");
    assert.equal(rl.when("a"), 1000);
    assert.equal(rl.numRequeues("a"), 0);
  });
});

describe("TokenBucket.tryTake", () => {
  it("refuses when empty and never borrows", () => {
    const b = new TokenBucket(1 / 300, 2, 0);
    assert.equal(b.tryTake(0), true);
    assert.equal(b.tryTake(0), true);
    assert.equal(b.tryTake(0), false);
    assert.equal(b.tryTake(299_000), false);
    assert.equal(b.tryTake(300_000), true);
    assert.equal(b.tryTake(300_000), false);
  });

  it("does not mint tokens when the clock steps backwards", () => {
    const b = new TokenBucket(1, 1, 10_000);
    assert.equal(b.tryTake(10_000), true);
    assert.equal(b.tryTake(0), false);
    assert.equal(b.tryTake(10_500), false);
  });
});

describe("maxOfRateLimiter / defaultControllerRateLimiter", () => {
  it("default: per-item backoff while the bucket has tokens, bucket wait once it is empty", () => {
    const clock = new FakeClock(0);
    const rl = defaultControllerRateLimiter(clock);
    assert.equal(rl.when("a"), 5);
    assert.equal(rl.when("a"), 10);
    for (let i = 0; i < 98; i++) rl.when(`other${i}`);
    // 100 tokens spent; the next reservation waits 100 ms, longer than b's 5 ms backoff.
    assert.equal(Math.round(rl.when("b")), 100);
    assert.equal(rl.numRequeues("a"), 2);
  });

  it("forget reaches every limiter", () => {
    const a = itemExponentialRateLimiter(1, 1000);
    const b = itemExponentialRateLimiter(2, 1000);
    const rl = maxOfRateLimiter(a, b);
    rl.when("k");
    rl.when("k");
    assert.equal(rl.when("k"), 8);
    rl.forget("k");
    assert.equal(a.numRequeues("k"), 0);
    assert.equal(b.numRequeues("k"), 0);
  });

  it("needs at least one limiter", () => {
    assert.throws(() => maxOfRateLimiter(), RangeError);
  });
});
