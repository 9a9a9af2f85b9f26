/**
 * Rate-limited, delaying work queue of keys with client-go `workqueue` semantics:
 * - a key queued twice is processed once (dedup while queued);
 * - a key is never handed to two workers at once;
 * - a key added while being processed runs exactly once more, after `done`.
 */
import { realClock, type Clock } from "./clock.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./ratelimit.ts";

export {
  bucketRateLimiter,
  defaultControllerRateLimiter,
  itemExponentialRateLimiter,
  maxOfRateLimiter,
  TokenBucket,
} from "./ratelimit.ts";
export type { RateLimiter } from "./ratelimit.ts";

/** Sink for the `workqueue_*` metrics of one queue (metrics.ts implements it over prom-client). */
export interface WorkQueueMetrics {
  /** A key entered the queue (not counted when deduplicated). */
  added(): void;
  /** Keys waiting to be processed, including ones re-added while in flight. */
  depth(n: number): void;
  /** Seconds a key waited between its add and the `get` that returned it. */
  queued(seconds: number): void;
  /** Seconds between `get` and `done`. */
  worked(seconds: number): void;
  /** An `addAfter`/`addRateLimited` call. */
  retried(): void;
  /** Gives the metrics a probe for in-flight work, read at scrape time rather than on a ticker. */
  observeUnfinished?(probe: () => UnfinishedWork): void;
}

export interface UnfinishedWork {
  /** Sum over in-flight keys of the time since their `get`. */
  unfinishedSeconds: number;
  /** The oldest in-flight key's time since its `get`. */
  longestRunningSeconds: number;
}

export interface WorkQueueOptions {
  name: string;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

/** FIFO of keys; an array with a moving head so shifting stays O(1). */
class KeyFifo {
  private items: string[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }
}

interface Delayed {
  key: string;
  readyAt: number;
}

/** Binary min-heap on `readyAt`. Entries superseded by an earlier time stay in place and are skipped on pop. */
class DelayHeap {
  private readonly heap: Delayed[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Delayed | undefined {
    return this.heap[0];
  }

  push(entry: Delayed): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.readyAt <= entry.readyAt) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = entry;
  }

  pop(): Delayed | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last.readyAt;
        if (l < h.length && h[l]!.readyAt < mv) [m, mv] = [l, h[l]!.readyAt];
        if (r < h.length && h[r]!.readyAt < mv) m = r;
        if (m === i) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics | undefined;

  private readonly fifo = new KeyFifo();
  /** Keys that need processing (queued, or re-added while in flight). */
  private readonly dirty = new Set<string>();
  /** Keys handed out by `get` and not yet `done`, with the time they were handed out. */
  private readonly processing = new Map<string, number>();
  /** When each dirty key was first added, for the queue-duration metric. */
  private readonly addedAt = new Map<string, number>();
  private readonly getters: ((key: string | undefined) => void)[] = [];

  /** Delayed keys: earliest ready time per key, the heap that orders them, and one timer for the heap's head. */
  private readonly waiting = new Map<string, number>();
  private readonly delayHeap = new DelayHeap();
  private timer: unknown;
  private timerAt = Infinity;

  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = opts.metrics;
    this.metrics?.observeUnfinished?.(() => this.unfinishedWork());
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    this.metrics?.added();
    this.metrics?.depth(this.dirty.size);
    // In flight: `done` queues it again, so a key never runs concurrently with itself.
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `ms`; if it is already waiting, the earlier ready time wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    this.metrics?.retried();
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const current = this.waiting.get(key);
    if (current !== undefined && current <= readyAt) return;
    this.waiting.set(key, readyAt);
    this.delayHeap.push({ key, readyAt });
    if (readyAt < this.timerAt) this.armTimer(readyAt);
  }

  /** Adds `key` after the rate limiter's delay, or after `floorMs` if that is longer (the failure count still grows). */
  addRateLimited(key: string, floorMs = 0): void {
    this.addAfter(key, Math.max(floorMs, this.limiter.when(key)));
  }

  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** Next key to process; waits while the queue is empty. `undefined` once shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.fifo.shift();
    if (key !== undefined) return Promise.resolve(this.startProcessing(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.processing.delete(key);
    this.metrics?.worked((this.clock.now() - startedAt) / 1000);
    if (this.dirty.has(key)) this.enqueue(key);
    if (this.processing.size === 0) this.wakeDrainWaiters();
  }

  /** Keys ready to be handed out (not counting in-flight or delayed ones). */
  len(): number {
    return this.fifo.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops accepting keys and drops delayed ones. Keys already queued are still handed out; `get` returns
   * `undefined` once none are left.
   */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.waiting.clear();
    this.delayHeap.clear();
    if (this.fifo.length === 0) {
      for (const resolve of this.getters.splice(0)) resolve(undefined);
    }
    if (this.processing.size === 0) this.wakeDrainWaiters();
  }

  /**
   * Shuts down and waits until every in-flight key is `done`. Resolves `true` when drained, `false` if
   * `timeoutMs` passed first.
   */
  shutDownWithDrain(timeoutMs?: number): Promise<boolean> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: unknown;
      const onDrained = (): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        resolve(true);
      };
      this.drainWaiters.push(onDrained);
      if (timeoutMs !== undefined) {
        timer = this.clock.setTimeout(() => {
          this.drainWaiters = this.drainWaiters.filter((w) => w !== onDrained);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /** In-flight work, for the unfinished-work gauges. */
  unfinishedWork(): UnfinishedWork {
    const now = this.clock.now();
    let total = 0;
    let longest = 0;
    for (const startedAt of this.processing.values()) {
      const age = Math.max(0, now - startedAt);
      total += age;
      if (age > longest) longest = age;
    }
    return { unfinishedSeconds: total / 1000, longestRunningSeconds: longest / 1000 };
  }

  private enqueue(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      // A waiting getter means the FIFO is empty: hand the key over directly, marking it in flight now so no
      // other `get` can take it before the getter's continuation runs.
      getter(this.startProcessing(key));
      return;
    }
    this.fifo.push(key);
  }

  private startProcessing(key: string): string {
    const now = this.clock.now();
    this.processing.set(key, now);
    this.dirty.delete(key);
    const addedAt = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (this.metrics) {
      this.metrics.depth(this.dirty.size);
      if (addedAt !== undefined) this.metrics.queued((now - addedAt) / 1000);
    }
    return key;
  }

  private armTimer(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.releaseDue();
    }, Math.max(0, at - this.clock.now()));
  }

  /** Timer callback: moves every delayed key whose time has come into the queue, then re-arms. */
  private releaseDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (let top = this.delayHeap.peek(); top && top.readyAt <= now; top = this.delayHeap.peek()) {
      this.delayHeap.pop();
      if (this.waiting.get(top.key) !== top.readyAt) continue; // superseded by an earlier time
      this.waiting.delete(top.key);
      this.add(top.key);
    }
    this.skipStale();
    const next = this.delayHeap.peek();
    if (next) this.armTimer(next.readyAt);
  }

  private skipStale(): void {
    for (let top = this.delayHeap.peek(); top && this.waiting.get(top.key) !== top.readyAt; top = this.delayHeap.peek()) {
      this.delayHeap.pop();
    }
  }

  private wakeDrainWaiters(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }
}
