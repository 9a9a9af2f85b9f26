/**
 * The manager's shared cache: one informer per (kind, namespace scope, selector), shared by every controller.
 * Reads go here, writes go to the API, so a controller's own writes show up only once the watch delivers them.
 */
import type { Logger } from "pino";
import type { KubeClient } from "./client.ts";
import type { Clock } from "./clock.ts";
import { Informer } from "./informer.ts";
import type { InformerMetrics, InformerOptions } from "./informer.ts";
import type { KubeObject } from "./objects.ts";
import { resourceId } from "./resources.ts";
import type { ResourceType } from "./resources.ts";
import type { Selector } from "./watcher.ts";
import { stripManagedFields } from "./watcher.ts";

/** What the cache keeps of an object: a function of the object as listed or watched, managedFields stripped. */
export type CacheTransform = (obj: KubeObject) => KubeObject;

export interface SharedCacheOptions {
  client: KubeClient;
  clock?: Clock;
  logger?: Logger;
  metrics?: InformerMetrics;
  /** Restrict namespaced kinds to this namespace (the manager's `--namespace`). Cluster-scoped kinds are unaffected. */
  namespace?: string | undefined;
  /** Default: strip managedFields before caching. */
  transform?: CacheTransform | null;
  resyncPeriodMs?: number;
  watcher?: InformerOptions["watcher"];
}

export class SharedCache {
  private readonly opts: SharedCacheOptions;
  private readonly informers = new Map<string, Informer>();
  /** The transform each informer was declared with (undefined: the default only). */
  private readonly declared = new Map<string, CacheTransform | undefined>();
  private started = false;

  constructor(opts: SharedCacheOptions) {
    this.opts = opts;
  }

  /** The namespace scope a resource is watched in (undefined = all namespaces / cluster-scoped). */
  scopeOf(res: ResourceType, selector: Selector = {}): string | undefined {
    if (!res.namespaced) return undefined;
    if (this.opts.namespace && selector.namespace && selector.namespace !== this.opts.namespace) {
      throw new Error(`namespace ${selector.namespace} is outside the manager's namespace ${this.opts.namespace}`);
    }
    return selector.namespace ?? this.opts.namespace;
  }

  /**
   * Get or create the informer of a kind+selector; started at once if the cache already runs. `transform` is what a
   * watch declares it needs of each object (`SourceSpec.transform`), applied after the default one; the informer is
   * shared, so a different declaration for an existing informer is a programming error.
   */
  informerFor(res: ResourceType, selector: Selector = {}, transform?: CacheTransform): Informer {
    const scoped: Selector = { ...selector, namespace: this.scopeOf(res, selector) };
    const key = informerKey(res, scoped);
    let informer = this.informers.get(key);
    if (informer && transform !== undefined && this.declared.get(key) !== transform) {
      throw new Error(`the cache of ${resourceId(res)} (${key}) already exists with another transform: declare it once, before any read`);
    }
    if (!informer) {
      informer = new Informer({
        resource: res,
        selector: scoped,
        client: this.opts.client,
        transform: this.composed(transform),
        clock: this.opts.clock,
        logger: this.opts.logger,
        metrics: this.opts.metrics,
        resyncPeriodMs: this.opts.resyncPeriodMs,
        watcher: this.opts.watcher,
      });
      this.informers.set(key, informer);
      this.declared.set(key, transform);
      if (this.started) informer.start();
    }
    return informer;
  }

  /** The cache's default transform (managedFields stripped unless configured otherwise), then the declared one. */
  private composed(declared: CacheTransform | undefined): CacheTransform | undefined {
    const base = this.opts.transform === null ? undefined : (this.opts.transform ?? stripManagedFields);
    if (!declared) return base;
    return base ? (obj) => declared(base(obj)) : declared;
  }

  /** The existing informer of a kind+selector, if any. */
  peek(res: ResourceType, selector: Selector = {}): Informer | undefined {
    return this.informers.get(informerKey(res, { ...selector, namespace: this.scopeOf(res, selector) }));
  }

  /** Stop and forget an informer (an optional CRD went away). Handlers registered on it are dropped with it. */
  async remove(res: ResourceType, selector: Selector = {}): Promise<void> {
    const key = informerKey(res, { ...selector, namespace: this.scopeOf(res, selector) });
    const informer = this.informers.get(key);
    this.informers.delete(key);
    this.declared.delete(key);
    await informer?.stop();
  }

  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Wait until every informer has listed once; throws after `timeoutMs` (controller-runtime CacheSyncTimeout). */
  async waitForSync(timeoutMs = 120_000, signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(both)));
    if (results.every(Boolean)) return;
    if (signal?.aborted) throw new Error("cache sync cancelled");
    const pending = [...this.informers.values()].filter((i) => !i.hasSynced()).map((i) => resourceId(i.resource));
    throw new Error(`timed out after ${timeoutMs} ms waiting for caches to sync: ${pending.join(", ")}`);
  }

  /**
   * The one informer of a kind, whatever its selector (undefined when nobody watches the kind). Reads and writes
   * of a kind go through it; two informers of one kind (different selectors) would make that ambiguous.
   */
  only(res: ResourceType): Informer | undefined {
    const id = `${resourceId(res)}|${res.version}|`;
    const found = [...this.informers.entries()].filter(([key]) => key.startsWith(id)).map(([, informer]) => informer);
    if (found.length > 1) throw new Error(`${resourceId(res)} is watched by ${found.length} informers (different selectors): reads and writes need exactly one`);
    return found[0];
  }

  /**
   * Read one object, as a reconcile pass should: our own write of it that the watch has not delivered yet
   * (`Informer.writeThrough`), else the cached copy. Never starts an informer: a kind nobody watches, or one whose
   * informer has not listed yet, is refused (an empty cache would read as "absent").
   */
  get(res: ResourceType, key: string): KubeObject | undefined {
    return this.synced(res).latest(key);
  }

  /** Every cached object of the kind, or of one namespace; refused like `get`. */
  list(res: ResourceType, namespace?: string): KubeObject[] {
    return this.synced(res).list(namespace);
  }

  private synced(res: ResourceType): Informer {
    const informer = this.only(res);
    if (!informer) throw new Error(`${resourceId(res)} is not watched: declare it as a source of a controller before reading it from the cache`);
    if (!informer.hasSynced()) throw new Error(`the cache of ${resourceId(res)} has not listed yet`);
    return informer;
  }
}

function informerKey(res: ResourceType, s: Selector): string {
  return [resourceId(res), res.version, s.namespace ?? "", s.labelSelector ?? "", s.fieldSelector ?? ""].join("|");
}
