/**
 * An informer = one watcher + one store + event handlers, for one (kind, namespace scope, selector).
 * Handlers may be async: a throw or a rejection is logged, never allowed to escape (an unhandled rejection would
 * kill the process). `hasSynced()` turns true at the first completed list.
 */
import type { Logger } from "pino";
import { Store } from "./cache.ts";
import type { IndexFunc, StoreDelta } from "./cache.ts";
import type { KubeClient } from "./client.ts";
import { realClock } from "./clock.ts";
import type { Clock } from "./clock.ts";
import { errorMessage } from "./errors.ts";
import type { KubeObject } from "./objects.ts";
import { resourceId } from "./resources.ts";
import type { ResourceType } from "./resources.ts";
import { clientSource, Watcher } from "./watcher.ts";
import type { ListWatchSource, RestartReason, Selector, WatcherEvent, WatcherOptions } from "./watcher.ts";

export interface EventHandler {
  add?(obj: KubeObject): unknown;
  /** On resync `old === obj`. */
  update?(old: KubeObject, obj: KubeObject): unknown;
  delete?(obj: KubeObject): unknown;
}

/** What an informer counts (watch restarts by reason; age of the last event). */
export interface InformerMetrics {
  watchRestart(resource: string, reason: RestartReason): void;
  event?(resource: string): void;
}

export interface InformerOptions {
  resource: ResourceType;
  selector?: Selector;
  /** Where to list/watch; defaults to `clientSource(client, resource, selector)`. */
  client?: KubeClient;
  source?: ListWatchSource;
  transform?: (obj: KubeObject) => KubeObject;
  clock?: Clock;
  logger?: Logger;
  /** Re-deliver every cached object as an update with old === new (controller-runtime SyncPeriod, 10 h). 0 = off. */
  resyncPeriodMs?: number;
  metrics?: InformerMetrics;
  watcher?: Partial<Pick<WatcherOptions, "backoff" | "timeoutSecondsRange" | "idleMarginMs" | "random" | "pageSize">>;
}

export class Informer {
  readonly resource: ResourceType;
  readonly selector: Selector;
  readonly store = new Store();
  private readonly opts: InformerOptions;
  private readonly clock: Clock;
  private readonly handlers = new Set<EventHandler>();
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private resyncTimer: unknown;

  constructor(opts: InformerOptions) {
    if (!opts.client && !opts.source) throw new Error("informer needs a client or a source");
    this.opts = opts;
    this.resource = opts.resource;
    this.selector = opts.selector ?? {};
    this.clock = opts.clock ?? realClock;
  }

  /** Start listing and watching (idempotent). */
  start(): void {
    if (this.running) return;
    const abort = new AbortController();
    this.abort = abort;
    const source = this.opts.source ?? clientSource(this.opts.client!, this.resource, this.selector);
    const id = resourceId(this.resource);
    const watcher = new Watcher({
      ...this.opts.watcher,
      source,
      clock: this.clock,
      transform: this.opts.transform,
      onEvent: (e) => { this.onWatcherEvent(e); },
      onError: (err, reason, retryInMs) => {
        this.opts.metrics?.watchRestart(id, reason);
        this.opts.logger?.warn({ resource: id, reason, retryInMs, err: errorMessage(err) }, "watch restarting");
      },
    });
    this.running = watcher.run(abort.signal);
    this.scheduleResync();
  }

  /** Stop watching; resolves once the watch request is closed. Handlers are kept. */
  async stop(): Promise<void> {
    this.abort?.abort();
    this.clock.clearTimeout(this.resyncTimer);
    await this.running;
    this.running = undefined;
    this.abort = undefined;
  }

  isRunning(): boolean {
    return this.running !== undefined;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => { resolve(false); };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      });
    });
  }

  /** Register handlers; if the informer has synced, the current objects are replayed as adds. */
  addEventHandler(handler: EventHandler): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const obj of this.store.list()) this.call(handler, "add", () => handler.add?.(obj));
    return () => this.handlers.delete(handler);
  }

  addIndex(name: string, fn: IndexFunc): void {
    if (!this.store.hasIndex(name)) this.store.addIndex(name, fn);
  }

  get(key: string): KubeObject | undefined {
    return this.store.get(key);
  }

  list(namespace?: string): KubeObject[] {
    return this.store.list(namespace);
  }

  /**
   * Send our write of `key` and remember its answer until the watch delivers it (`Store.noteWrite`, through the
   * informer's transform). The version the store holds when the request leaves is one the answer supersedes.
   */
  async writeThrough<T extends KubeObject>(key: string, send: () => Promise<T>): Promise<T> {
    const before = this.store.get(key)?.metadata.resourceVersion;
    const written = await send();
    if (endedLife(written)) this.store.noteDelete(key);
    else this.store.noteWrite(before, this.opts.transform ? this.opts.transform(written) : written);
    return written;
  }

  /** Send our delete of `key` and read it as gone until the watch says otherwise (`Store.noteDelete`). */
  async deleteThrough(key: string, send: () => Promise<unknown>): Promise<void> {
    await send();
    this.store.noteDelete(key);
  }

  /** Our own write the watch has not delivered yet, else the cached object: what a reconcile pass should read. */
  latest(key: string): KubeObject | undefined {
    return this.store.latest(key);
  }

  byIndex(name: string, value: string): KubeObject[] {
    return this.store.byIndex(name, value);
  }

  private onWatcherEvent(event: WatcherEvent): void {
    const deltas = this.store.apply(event);
    if (event.type === "InitDone" && !this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    if (deltas.length > 0) this.opts.metrics?.event?.(resourceId(this.resource));
    for (const d of deltas) this.dispatch(d);
  }

  private dispatch(delta: StoreDelta): void {
    for (const h of this.handlers) {
      if (delta.type === "add") this.call(h, "add", () => h.add?.(delta.object));
      else if (delta.type === "update") this.call(h, "update", () => h.update?.(delta.old, delta.object));
      else this.call(h, "delete", () => h.delete?.(delta.object));
    }
  }

  private call(_h: EventHandler, what: string, fn: () => unknown): void {
    const fail = (err: unknown): void => {
      this.opts.logger?.error(
        { resource: resourceId(this.resource), handler: what, err: errorMessage(err) },
        "event handler failed",
      );
    };
    try {
      const result = fn();
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs ?? 10 * 60 * 60 * 1000;
    if (period <= 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      if (this.synced) {
        for (const obj of this.store.list()) {
          for (const h of this.handlers) this.call(h, "update", () => h.update?.(obj, obj));
        }
      }
      this.scheduleResync();
    }, period);
  }
}

/**
 * The answer to a write that removed the last finalizer of an object being deleted without grace: the API server
 * deleted the object instead of updating it and answered with the request's object, which carries the
 * resourceVersion it was based on (so it reads as "nothing changed"). It is gone: read it as deleted.
 */
function endedLife(written: KubeObject): boolean {
  const meta = written.metadata;
  return meta.deletionTimestamp !== undefined && (meta.finalizers ?? []).length === 0 && (meta.deletionGracePeriodSeconds ?? 0) === 0;
}
