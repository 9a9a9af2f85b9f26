/**
 * Controllers: a builder (`controller(name).for(kind).owns(kind).watches(kind, map).reconcile(fn)`) and the running
 * controller (event handlers → work queue → workers → reconcile outcome handling, controller-runtime semantics).
 *
 * Reconcile gets only a key and reads the current object from the cache: level-triggered, never acting on event
 * payloads. Outcomes: success → forget; `requeueAfter` → forget + addAfter; `requeue` → addRateLimited; throw (or
 * `error`) → addRateLimited (no sooner than `retryFloorMs`), any `requeueAfter` ignored; TerminalError → no retry.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.ts";
import { realClock } from "./clock.ts";
import { errorMessage, isTerminalError } from "./errors.ts";
import type { Informer } from "./informer.ts";
import { controllerLogger, reconcileLogger } from "./log.ts";
import type { Logger } from "./log.ts";
import { objectKey, parseKey } from "./objects.ts";
import type { KubeObject } from "./objects.ts";
import { controllerOwnerKeys } from "./owner.ts";
import { passesCreate, passesDelete, passesUpdate } from "./predicates.ts";
import type { Predicate } from "./predicates.ts";
import { WorkQueue } from "./queue.ts";
import type { RateLimiter, WorkQueueMetrics } from "./queue.ts";
import { defaultControllerRateLimiter } from "./ratelimit.ts";
import type { ResourceType } from "./resources.ts";
import type { CacheTransform } from "./shared-cache.ts";
import type { Selector } from "./watcher.ts";

export interface ReconcileRequest {
  /** `namespace/name`, or `name` for cluster-scoped kinds. */
  key: string;
  namespace?: string | undefined;
  name: string;
}

export interface ReconcileResult {
  /** Run again after this many ms (polling, periodic drift repair). */
  requeueAfter?: number;
  /** Deprecated in controller-runtime: run again after the rate limiter's delay. */
  requeue?: boolean;
  /** A failure reported alongside a result: handled like a throw; `requeueAfter` is then ignored. */
  error?: unknown;
  /**
   * With `error`: retry no sooner than this many ms, even when the rate limiter's back-off is shorter (it restarts
   * from its base after an operator restart; the reconciler may know from the object how long it has been failing).
   */
  retryFloorMs?: number;
}

export interface ReconcileContext {
  reconcileID: string;
  logger: Logger;
  /** Aborted on reconcile timeout, and when the controller stops because leadership was lost. */
  signal: AbortSignal;
}

/** `void` lets plain `async (req) => { … }` reconcilers (no result) type-check. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
type Outcome = ReconcileResult | undefined | void;
export type Reconciler = (req: ReconcileRequest, ctx: ReconcileContext) => Promise<Outcome> | Outcome;

/** Maps an object of a watched kind to the keys of primaries to reconcile. */
export type MapFunc = (obj: KubeObject) => string[];

export interface SourceSpec {
  resource: ResourceType;
  selector?: Selector | undefined;
  predicate?: Predicate | undefined;
  map: MapFunc;
  /** CRD name (`plural.group`) when the kind is optional: watched only while the CRD is installed. */
  optionalCrd?: string | undefined;
  /**
   * What the cache keeps of each object of this kind (after managedFields are stripped): a view with only the fields
   * the controller reads. The informer of (kind, selector) is shared, so every source of it must declare the same.
   */
  transform?: CacheTransform | undefined;
}

/** Options of a watched kind (`for`, `owns`, `watches`). */
export interface SourceOptions {
  predicate?: Predicate;
  selector?: Selector;
  optionalCrd?: string;
  transform?: CacheTransform;
}

export interface ControllerOptions {
  /** Workers; a key is never processed by two of them at once. Default 1 (or the manager's `--concurrency`). */
  maxConcurrentReconciles?: number;
  rateLimiter?: RateLimiter;
  /** Abort signal + `reconcile_timeouts_total` after this long (the reconcile is still awaited). */
  reconcileTimeoutMs?: number;
}

export interface ControllerSpec {
  name: string;
  primary: ResourceType;
  sources: SourceSpec[];
  options: ControllerOptions;
  reconcile: Reconciler;
}

/** The controller_runtime_* metrics of one controller. */
export interface ControllerMetrics {
  reconciled(result: "success" | "error" | "requeue" | "requeue_after", seconds: number): void;
  error(kind: "error" | "terminal" | "panic" | "timeout"): void;
  maxConcurrent(n: number): void;
  activeWorkers(n: number): void;
  queue?: WorkQueueMetrics;
}

export class ControllerBuilder {
  private readonly name: string;
  private primary: ResourceType | undefined;
  private readonly sources: SourceSpec[] = [];
  private options: ControllerOptions = {};

  constructor(name: string) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`controller name ${name} must be a DNS label`);
    this.name = name;
  }

  /** The primary kind: its own events enqueue its key. */
  for(res: ResourceType, opts: Omit<SourceOptions, "optionalCrd"> = {}): this {
    if (this.primary) throw new Error(`controller ${this.name}: for() called twice`);
    this.primary = res;
    this.sources.unshift({ ...opts, resource: res, map: (o) => [objectKey(o)] });
    return this;
  }

  /** Children: events enqueue their controller owner of the primary kind. */
  owns(res: ResourceType, opts: SourceOptions = {}): this {
    const primary = this.requirePrimary("owns");
    const owner = { group: primary.group, kind: primary.kind, namespaced: primary.namespaced };
    this.sources.push({ ...opts, resource: res, map: (o) => controllerOwnerKeys(o, owner) });
    return this;
  }

  /** Any kind with a map function (e.g. a referenced Secret → the primaries that reference it, via an index). */
  watches(
    res: ResourceType,
    map: MapFunc,
    opts: SourceOptions = {},
  ): this {
    this.sources.push({ ...opts, resource: res, map });
    return this;
  }

  withOptions(options: ControllerOptions): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  reconcile(fn: Reconciler): ControllerSpec {
    const primary = this.requirePrimary("reconcile");
    return { name: this.name, primary, sources: [...this.sources], options: this.options, reconcile: fn };
  }

  private requirePrimary(what: string): ResourceType {
    if (!this.primary) throw new Error(`controller ${this.name}: call for() before ${what}()`);
    return this.primary;
  }
}

export function controller(name: string): ControllerBuilder {
  return new ControllerBuilder(name);
}

export interface ControllerDeps {
  logger: Logger;
  clock?: Clock;
  metrics?: ControllerMetrics;
  defaultConcurrency?: number;
}

/** Errors that are programming mistakes rather than failed API calls: counted as panics (and still retried). */
function isPanic(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || !(err instanceof Error);
}

export class Controller {
  readonly spec: ControllerSpec;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly workers: number;
  /** Kept across restarts (leadership terms), so a key's back-off does not start again from 5 ms. */
  private readonly rateLimiter: RateLimiter;
  private readonly unregister = new Map<Informer, () => void>();
  /** A new queue per run: a stopped queue stays shut down. */
  private work: WorkQueue;
  private running: Promise<void>[] = [];
  private stopping = false;
  private active = 0;
  /** The abort controllers of the reconciles in flight. */
  private readonly inFlight = new Set<AbortController>();

  constructor(spec: ControllerSpec, deps: ControllerDeps) {
    this.spec = spec;
    this.clock = deps.clock ?? realClock;
    this.metrics = deps.metrics;
    this.logger = controllerLogger(deps.logger, { controller: spec.name, group: spec.primary.group, kind: spec.primary.kind });
    this.workers = Math.max(1, spec.options.maxConcurrentReconciles ?? deps.defaultConcurrency ?? 1);
    this.rateLimiter = spec.options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.work = this.newQueue();
    this.metrics?.maxConcurrent(this.workers);
    this.metrics?.activeWorkers(0);
  }

  /** The queue of the current (or last) run. */
  get queue(): WorkQueue {
    return this.work;
  }

  /** Route a source's informer events into the queue (replaying current objects as adds). */
  attach(source: SourceSpec, informer: Informer): void {
    if (this.unregister.has(informer)) return;
    const enqueue = (keys: string[]): void => {
      for (const k of keys) this.work.add(k);
    };
    const mapped = (obj: KubeObject): string[] => {
      try {
        return source.map(obj);
      } catch (err) {
        this.logger.error({ error: errorMessage(err), object: objectKey(obj) }, "map function failed");
        return [];
      }
    };
    const off = informer.addEventHandler({
      add: (obj) => {
        if (passesCreate(source.predicate, obj)) enqueue(mapped(obj));
      },
      update: (old, obj) => {
        if (!passesUpdate(source.predicate, old, obj)) return;
        enqueue([...new Set([...mapped(old), ...mapped(obj)])]);
      },
      delete: (obj) => {
        if (passesDelete(source.predicate, obj)) enqueue(mapped(obj));
      },
    });
    this.unregister.set(informer, off);
  }

  /** Stop routing an informer's events (its optional CRD went away). */
  detach(informer: Informer): void {
    this.unregister.get(informer)?.();
    this.unregister.delete(informer);
  }

  /** Start the workers; after a `stop`, on a fresh queue (attach the sources again first: they replay every object). */
  start(): void {
    if (this.running.length > 0) return;
    this.stopping = false;
    this.logger.info({ workerCount: this.workers }, "Starting workers");
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker(this.work));
  }

  /**
   * Stop taking work and wait for in-flight reconciles up to `drainTimeoutMs`. Resolves true if they all finished.
   * With `abortReason`, the signals of the reconciles in flight are aborted first (leadership lost: their writes
   * are refused anyway, so finishing them is pointless).
   */
  async stop(drainTimeoutMs = 30_000, abortReason?: string): Promise<boolean> {
    this.stopping = true;
    for (const off of this.unregister.values()) off();
    this.unregister.clear();
    if (abortReason !== undefined) for (const abort of this.inFlight) abort.abort(new Error(abortReason));
    const drained = await this.work.shutDownWithDrain(drainTimeoutMs);
    if (drained) await Promise.all(this.running);
    this.running = [];
    // The next run's queue; keys added while stopped wait in it for `start`.
    this.work = this.newQueue();
    return drained;
  }

  private newQueue(): WorkQueue {
    return new WorkQueue({ name: this.spec.name, clock: this.clock, rateLimiter: this.rateLimiter, metrics: this.metrics?.queue });
  }

  /** Works on the queue of its run (a worker abandoned at a stop must not touch the next run's queue). */
  private async worker(queue: WorkQueue): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (this.stopping) {
        queue.done(key);
        continue;
      }
      try {
        await this.process(queue, key);
      } finally {
        queue.done(key);
      }
    }
  }

  private async process(queue: WorkQueue, key: string): Promise<void> {
    const reconcileID = randomUUID();
    const ref = parseKey(key);
    const logger = reconcileLogger(this.logger, this.spec.primary.kind, ref, reconcileID);
    const timeoutMs = this.spec.options.reconcileTimeoutMs;
    const abort = new AbortController();
    let timedOut = false;
    const timer =
      timeoutMs !== undefined
        ? this.clock.setTimeout(() => {
            timedOut = true;
            abort.abort(new Error(`reconcile timed out after ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
    const started = this.clock.now();
    this.metrics?.activeWorkers(++this.active);
    this.inFlight.add(abort);
    let result: ReconcileResult | undefined;
    let failure: { err: unknown } | undefined;
    try {
      result = (await this.spec.reconcile({ key, ...ref }, { reconcileID, logger, signal: abort.signal })) ?? undefined;
      if (result?.error !== undefined) failure = { err: result.error };
    } catch (err) {
      failure = { err };
    } finally {
      this.clock.clearTimeout(timer);
      this.inFlight.delete(abort);
      this.metrics?.activeWorkers(--this.active);
    }
    const seconds = (this.clock.now() - started) / 1000;
    if (timedOut) this.metrics?.error("timeout");
    if (failure) {
      this.onFailure(queue, key, failure.err, result, logger, seconds);
      return;
    }
    const after = result?.requeueAfter ?? 0;
    if (after > 0) {
      queue.forget(key);
      queue.addAfter(key, after);
      this.metrics?.reconciled("requeue_after", seconds);
    } else if (result?.requeue) {
      queue.addRateLimited(key);
      this.metrics?.reconciled("requeue", seconds);
    } else {
      queue.forget(key);
      this.metrics?.reconciled("success", seconds);
    }
  }

  private onFailure(queue: WorkQueue, key: string, err: unknown, result: ReconcileResult | undefined, logger: Logger, seconds: number): void {
    this.metrics?.reconciled("error", seconds);
    this.metrics?.error("error");
    if ((result?.requeueAfter ?? 0) > 0) {
      logger.warn("Warning: Reconciler returned both a result with requeueAfter and an error; requeueAfter is ignored");
    }
    if (isTerminalError(err)) {
      this.metrics?.error("terminal");
      logger.error({ error: errorMessage(err) }, "Reconciler error");
      return;
    }
    if (isPanic(err)) {
      this.metrics?.error("panic");
      logger.error({ error: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, "Observed a panic");
    } else {
      logger.error({ error: errorMessage(err) }, "Reconciler error");
    }
    queue.addRateLimited(key, result?.retryFloorMs);
  }
}
