/**
 * Rate limiters for the work queue (client-go `workqueue` semantics): `when(item)` says how long to wait before the
 * item may be processed again; `forget(item)` ends its failure streak.
 */
import { realClock, type Clock } from "./clock.ts";

export interface RateLimiter {
  /** Delay in ms before `item` should be retried; every call counts as one more failure. */
  when(item: string): number;
  /** Resets the failure history of `item` (call after a success). */
  forget(item: string): void;
  numRequeues(item: string): number;
}

/**
 * Token bucket with golang.org/x/time/rate's reservation semantics: tokens refill continuously at `ratePerSec` up
 * to `burst`; `reserve` always succeeds and returns how long the caller must wait (the balance may go negative,
 * so queued reservations are spaced 1/rate apart).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly ratePerSec: number;
  private readonly burst: number;

  constructor(ratePerSec: number, burst: number, nowMs: number) {
    if (!(ratePerSec > 0)) throw new RangeError(`token bucket rate must be > 0, got ${ratePerSec}`);
    if (!(burst >= 1)) throw new RangeError(`token bucket burst must be >= 1, got ${burst}`);
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.tokens = burst;
    this.last = nowMs;
  }

  /** Takes one token, possibly on credit; returns the wait in ms until that token exists. */
  reserve(nowMs: number): number {
    this.refill(nowMs);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.ratePerSec) * 1000;
  }

  /** Takes one token only if one is available now. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(nowMs: number): void {
    // A clock stepping backwards must not mint or destroy tokens.
    if (nowMs <= this.last) return;
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.ratePerSec);
    this.last = nowMs;
  }
}

/** Per-item exponential backoff: `baseMs × 2^failures`, capped at `maxMs`. */
export function itemExponentialRateLimiter(baseMs = 5, maxMs = 1_000_000): RateLimiter {
  if (!(baseMs > 0) || !(maxMs >= baseMs)) {
    throw new RangeError(`exponential rate limiter needs 0 < base <= max, got base=${baseMs} max=${maxMs}`);
  }
  const failures = new Map<string, number>();
  return {
    when(item) {
      const n = failures.get(item) ?? 0;
      failures.set(item, n + 1);
      const delay = baseMs * 2 ** n;
      // 2**n overflows to Infinity for large n; the cap also covers that.
      return delay > maxMs ? maxMs : delay;
    },
    forget(item) {
      failures.delete(item);
    },
    numRequeues(item) {
      return failures.get(item) ?? 0;
    },
  };
}

/** Overall (not per-item) token bucket: `qps` sustained, `burst` at once. */
export function bucketRateLimiter(qps = 10, burst = 100, clock: Clock = realClock): RateLimiter {
  const bucket = new TokenBucket(qps, burst, clock.now());
  return {
    when: () => bucket.reserve(clock.now()),
    forget: () => undefined,
    numRequeues: () => 0,
  };
}

/** The longest delay of all limiters; every limiter sees every call. */
export function maxOfRateLimiter(...limiters: RateLimiter[]): RateLimiter {
  if (limiters.length === 0) throw new RangeError("maxOfRateLimiter needs at least one limiter");
  return {
    when(item) {
      let longest = 0;
      for (const l of limiters) longest = Math.max(longest, l.when(item));
      return longest;
    },
    forget(item) {
      for (const l of limiters) l.forget(item);
    },
    numRequeues(item) {
      let most = 0;
      for (const l of limiters) most = Math.max(most, l.numRequeues(item));
      return most;
    },
  };
}

/** controller-runtime's default: max(5 ms × 2^n capped at 1000 s, 10 qps / burst 100). */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return maxOfRateLimiter(itemExponentialRateLimiter(5, 1_000_000), bucketRateLimiter(10, 100, clock));
}
