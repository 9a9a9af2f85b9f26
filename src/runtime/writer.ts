/**
 * Writes that the cache reads back: each request goes to the API server and, when an informer caches the kind,
 * its answer is remembered there until the watch delivers it (`Informer.writeThrough` / `deleteThrough`), so a
 * pass that runs in between reads what we wrote, not the version our write replaced. Kinds nobody watches (PVCs,
 * for example) are written directly. The one place that knows which informer a write goes through.
 */
import type { DeleteOptions, JsonPatchOp, KubeClient, ObjectLike, ObjectRef } from "./client.ts";
import type { Informer } from "./informer.ts";
import { objectKey } from "./objects.ts";
import type { KubeObject } from "./objects.ts";
import type { ResourceType } from "./resources.ts";
import type { SharedCache } from "./shared-cache.ts";

function keyOf(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export class CacheWriter {
  private readonly client: KubeClient;
  private readonly cache: SharedCache;

  constructor(client: KubeClient, cache: SharedCache) {
    this.client = client;
    this.cache = cache;
  }

  /** Server-side apply (our field manager, `force`). */
  apply(res: ResourceType, obj: KubeObject): Promise<KubeObject> {
    return this.through(res, objectKey(obj), () => this.client.apply(res, obj));
  }

  /** Server-side apply of `{apiVersion, kind, metadata{name,namespace}, status}` to the status subresource. */
  applyStatus(res: ResourceType, obj: KubeObject): Promise<KubeObject> {
    return this.through(res, objectKey(obj), () => this.client.applyStatus(res, obj));
  }

  create(res: ResourceType, obj: ObjectLike & KubeObject): Promise<KubeObject> {
    return this.through(res, objectKey(obj), () => this.client.create(res, obj));
  }

  mergePatch(res: ResourceType, ref: ObjectRef, patch: object): Promise<KubeObject> {
    return this.through(res, keyOf(ref), () => this.client.mergePatch(res, ref, patch));
  }

  jsonPatch(res: ResourceType, ref: ObjectRef, ops: JsonPatchOp[]): Promise<KubeObject> {
    return this.through(res, keyOf(ref), () => this.client.jsonPatch(res, ref, ops));
  }

  async delete(res: ResourceType, ref: ObjectRef, opts: DeleteOptions = {}): Promise<void> {
    const send = (): Promise<unknown> => this.client.delete(res, ref, opts);
    const informer = this.informerOf(res);
    await (informer ? informer.deleteThrough(keyOf(ref), send) : send());
  }

  /** A read from the API server, not the cache (undefined when absent): for decisions a stale cache must not make. */
  readLive(res: ResourceType, ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.client.getOrUndefined(res, ref);
  }

  private through(res: ResourceType, key: string, send: () => Promise<KubeObject>): Promise<KubeObject> {
    const informer = this.informerOf(res);
    return informer ? informer.writeThrough(key, send) : send();
  }

  private informerOf(res: ResourceType): Informer | undefined {
    return this.cache.only(res);
  }
}

/** The writer as reconcilers see it (a fake implements it in unit tests). */
export type Writer = Pick<CacheWriter, "apply" | "applyStatus" | "create" | "mergePatch" | "jsonPatch" | "delete" | "readLive">;
