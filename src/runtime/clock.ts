/**
 * Time source for everything time-based in the runtime (queues, rate limiters, events, leader election), so unit
 * tests drive time with `FakeClock` instead of sleeping.
 */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Resolves after `ms`, or as soon as `signal` aborts. It never rejects: callers check `signal.aborted`
   * afterwards, which keeps loops free of try/catch and of unhandled AbortErrors.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** metav1.MicroTime for epoch ms: RFC 3339 with six fractional digits, as the API server writes it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Node clamps longer delays to 1 ms (with a TimeoutOverflowWarning); longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** A handle that stays valid across the chained timers of a very long delay. */
interface RealTimerHandle {
  timer: NodeJS.Timeout | undefined;
}

function armReal(handle: RealTimerHandle, fn: () => void, ms: number): void {
  const step = Math.min(ms, MAX_TIMER_MS);
  handle.timer = setTimeout(() => {
    const rest = ms - step;
    if (rest > 0) armReal(handle, fn, rest);
    else {
      handle.timer = undefined;
      fn();
    }
  }, step);
}

function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle: RealTimerHandle = { timer: undefined };
    armReal(handle, fn, Number.isFinite(ms) && ms > 0 ? ms : 0);
    return handle;
  },
  clearTimeout(handle) {
    const h = handle as RealTimerHandle | undefined;
    if (h?.timer !== undefined) clearTimeout(h.timer);
    if (h) h.timer = undefined;
  },
  sleep(ms, signal) {
    return sleepWith(realClock, ms, signal);
  },
};

interface FakeTimer {
  readonly at: number;
  /** Creation order: timers due at the same instant fire in the order they were set. */
  readonly seq: number;
  readonly fn: () => void;
}

/** Lets every queued promise continuation run (a macrotask boundary drains the whole microtask queue). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A manually driven clock. Time moves only in `advance`, which fires due timers one by one in time order and lets
 * promise continuations run between them, so async code scheduled by a timer observes the time it fired at.
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Set<FakeTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: FakeTimer = { at: this.current + delay, seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as FakeTimer);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (including ones set meanwhile). */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.current + ms;
    await settle();
    for (let timer = this.earliest(); timer && timer.at <= target; timer = this.earliest()) {
      this.timers.delete(timer);
      this.current = Math.max(this.current, timer.at);
      timer.fn();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /**
   * Moves time forward without firing anything, as a blocked event loop would; overdue timers fire on the next
   * `advance`.
   */
  stall(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.stall: ms must be >= 0, got ${ms}`);
    this.current += ms;
  }

  /** Advances exactly to the next pending timer and fires it (and any others due at that instant). */
  async advanceToNextTimer(): Promise<boolean> {
    const next = this.earliest();
    if (!next) return false;
    await this.advance(next.at - this.current);
    return true;
  }

  /** Number of timers not yet fired or cleared. */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Epoch ms of the next pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.earliest()?.at;
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
