/**
 * The object store behind an informer: objects keyed `namespace/name`, deep-frozen so nobody can mutate what
 * others read, with user-registered indexes. It turns watcher events into add/update/delete deltas, swapping its
 * whole content atomically when a (re)list completes.
 */
import { objectKey } from "./objects.ts";
import type { KubeObject } from "./objects.ts";
import type { WatcherEvent } from "./watcher.ts";

/** Index values of one object (e.g. the names of the Secrets it references). */
export type IndexFunc = (obj: KubeObject) => string[];

export type StoreDelta =
  | { type: "add"; object: KubeObject }
  | { type: "update"; old: KubeObject; object: KubeObject }
  | { type: "delete"; object: KubeObject };

/** Freeze an object graph in place (plain JSON: objects and arrays only). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Index function: UIDs of the controller owner (`ownerReferences[].controller == true`). */
export const byControllerOwnerUID: IndexFunc = (obj) =>
  (obj.metadata.ownerReferences ?? []).filter((r) => r.controller === true).map((r) => r.uid);

export class Store {
  private items = new Map<string, KubeObject>();
  private readonly indexers = new Map<string, IndexFunc>();
  /** index name → index value → keys */
  private indices = new Map<string, Map<string, Set<string>>>();
  /** Objects of a list in progress (between Init and InitDone). */
  private pending: Map<string, KubeObject> | undefined;
  /** The version of our last write of each object (the store may already hold it): see `noteWrite`. */
  private ours = new Map<string, string>();
  /** Our writes the store has not received yet, by key, with the versions each superseded: see `noteWrite`. */
  private unseen = new Map<string, { object: KubeObject | undefined; superseded: Set<string | undefined> }>();

  /** Register an index; existing content is indexed at once. Index names are unique. */
  addIndex(name: string, fn: IndexFunc): void {
    if (this.indexers.has(name)) throw new Error(`index ${name} already registered`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) addToIndex(index, safeIndex(fn, obj), key);
  }

  hasIndex(name: string): boolean {
    return this.indexers.has(name);
  }

  get(key: string): KubeObject | undefined {
    return this.items.get(key);
  }

  /** Every object, or those of one namespace. */
  list(namespace?: string): KubeObject[] {
    const all = [...this.items.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  size(): number {
    return this.items.size;
  }

  byIndex(name: string, value: string): KubeObject[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`unknown index ${name}`);
    return [...(index.get(value) ?? [])].map((k) => this.items.get(k)).filter((o) => o !== undefined);
  }

  /**
   * Remember our write: the store held resourceVersion `replaced` when it was sent (undefined: none) and the API
   * answered `written`. Until the watch delivers that version or any change it does not supersede, `latest` returns
   * `written`: a reconcile pass that runs in between would otherwise read an older version and send the same change
   * again. Our writes of one object are sequential (one worker per key), so `written` supersedes the version it was
   * based on and every earlier write of ours, delivered or not — even when a pass based a later write on the copy
   * it started from (a status write, then a finalizer patch).
   * Nothing is kept when the write changed nothing (same resourceVersion: no event will come) or when the store
   * holds a version that is neither (someone else's: its order against `written` is unknown). resourceVersions are
   * only compared for equality.
   */
  noteWrite(replaced: string | undefined, written: KubeObject): void {
    const key = objectKey(written);
    const version = written.metadata.resourceVersion;
    const ourLast = this.ours.get(key);
    if (version !== undefined) this.ours.set(key, version);
    if (version === replaced) return;
    const previous = this.unseen.get(key);
    const superseded = new Set([replaced, ...(ourLast !== undefined ? [ourLast] : []), ...(previous?.superseded ?? [])]);
    if (!superseded.has(this.items.get(key)?.metadata.resourceVersion)) return;
    this.unseen.set(key, { object: deepFreeze(written), superseded });
  }

  /**
   * Remember that we deleted `key`: `latest` answers undefined until the watch delivers the deletion or a version
   * the delete did not remove (a new object of that name, or the old one carrying a deletionTimestamp).
   */
  noteDelete(key: string): void {
    const stored = this.items.get(key)?.metadata.resourceVersion;
    const ourLast = this.ours.get(key);
    // Also when the store does not hold it yet: our own create may not have been delivered (its ADDED event must
    // not bring back what we deleted since).
    if (stored === undefined && ourLast === undefined) return;
    const superseded = new Set([...(stored !== undefined ? [stored] : []), ...(ourLast !== undefined ? [ourLast] : []), ...(this.unseen.get(key)?.superseded ?? [])]);
    this.unseen.set(key, { object: undefined, superseded });
  }

  /** The newest version we know of: our own write (or delete) the watch has not delivered yet, else the cached object. */
  latest(key: string): KubeObject | undefined {
    const unseen = this.unseen.get(key);
    return unseen ? unseen.object : this.items.get(key);
  }

  /** An event of `key` ends the remembered write unless it brings a version that write superseded. */
  private observed(key: string, obj: KubeObject): void {
    if (!this.unseen.get(key)?.superseded.has(obj.metadata.resourceVersion)) this.unseen.delete(key);
  }

  /** Apply one watcher event; returns the deltas handlers must see. */
  apply(event: WatcherEvent): StoreDelta[] {
    switch (event.type) {
      case "Init":
        this.pending = new Map();
        return [];
      case "InitApply":
        (this.pending ??= new Map()).set(objectKey(event.object), deepFreeze(event.object));
        return [];
      case "InitDone":
        return this.swap(this.pending ?? new Map<string, KubeObject>());
      case "Apply":
        return [this.put(deepFreeze(event.object))];
      case "Delete":
        return this.remove(deepFreeze(event.object));
    }
  }

  private put(obj: KubeObject): StoreDelta {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.observed(key, obj);
    this.items.set(key, obj);
    this.index(key, obj);
    return old ? { type: "update", old, object: obj } : { type: "add", object: obj };
  }

  private remove(obj: KubeObject): StoreDelta[] {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.unseen.delete(key);
    this.ours.delete(key);
    this.items.delete(key);
    return [{ type: "delete", object: obj }];
  }

  /** Replace everything with a fresh list: deletes for vanished keys, updates where the RV moved, adds for new keys. */
  private swap(next: Map<string, KubeObject>): StoreDelta[] {
    const deltas: StoreDelta[] = [];
    for (const [key, old] of this.items) {
      if (!next.has(key)) deltas.push({ type: "delete", object: old });
    }
    for (const [key, obj] of next) {
      const old = this.items.get(key);
      if (!old) deltas.push({ type: "add", object: obj });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        deltas.push({ type: "update", old, object: obj });
      }
    }
    this.items = next;
    this.unseen = new Map(); // a fresh list holds every write that preceded it
    this.ours = new Map();
    this.pending = undefined;
    this.indices = new Map();
    for (const [name, fn] of this.indexers) {
      const index = new Map<string, Set<string>>();
      for (const [key, obj] of next) addToIndex(index, safeIndex(fn, obj), key);
      this.indices.set(name, index);
    }
    return deltas;
  }

  private index(key: string, obj: KubeObject): void {
    for (const [name, fn] of this.indexers) addToIndex(this.indices.get(name)!, safeIndex(fn, obj), key);
  }

  private unindex(key: string, obj: KubeObject): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const value of safeIndex(fn, obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

/** A user index function that throws on odd input must not break the watch: the object is just not indexed. */
function safeIndex(fn: IndexFunc, obj: KubeObject): string[] {
  try {
    const values = fn(obj);
    return Array.isArray(values) ? values.filter((v) => typeof v === "string") : [];
  } catch {
    return [];
  }
}

function addToIndex(index: Map<string, Set<string>>, values: string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}
