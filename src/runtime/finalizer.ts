/**
 * kube-rs style finalizer helper.
 *
 * | state                              | action                                                             |
 * |------------------------------------|--------------------------------------------------------------------|
 * | not deleting, our finalizer absent | JSON-patch it in; the resulting change event brings the next pass  |
 * | not deleting, present              | run `apply`                                                        |
 * | deleting, present                  | run `cleanup`; done → JSON-patch it out; not yet / failure → stays |
 * | deleting, absent                   | nothing (the API refuses new finalizers on a deleting object)      |
 *
 * Cleanup answers `{done: true}` (the finalizer goes), `{done: false, requeueAfter}` (something is still going
 * away: look again then) or `{done: false, error}`; a failure (or a throw) keeps the finalizer and goes back to the
 * work queue with backoff.
 * Patches carry `test` ops, so an edit by someone else in between makes the API reject the patch (422) instead of
 * clobbering it; the error goes back to the work queue and the next pass re-reads. Other finalizers are never touched.
 * Given a cache-aware writer (`CacheWriter`), each patch goes through the cache: a pass that runs before the watch
 * delivers it reads the patched object (or, once the last finalizer is gone, no object), not a copy that still
 * needs the same patch.
 */
import type { JsonPatchOp, ObjectRef } from "./client.ts";
import type { ReconcileResult } from "./controller.ts";
import { isNotFound } from "./errors.ts";
import type { KubeObject } from "./objects.ts";
import type { ResourceType } from "./resources.ts";

/** What the helper writes with: `KubeClient`, or `CacheWriter` to read its own patches back. */
export interface FinalizerWriter {
  jsonPatch(res: ResourceType, ref: ObjectRef, ops: JsonPatchOp[]): Promise<KubeObject>;
}

/**
 * Cleanup finished (the finalizer goes), or not yet: look again after `requeueAfter` ms, or it failed: `error` goes
 * back to the work queue as the reconcile's failure (with back-off, no sooner than `retryFloorMs`).
 */
export type CleanupResult = { done: true } | { done: false; requeueAfter: number } | { done: false; error: unknown; retryFloorMs?: number };

export interface FinalizerHandlers<R> {
  /** The object is live and carries our finalizer. */
  apply(obj: KubeObject): Promise<R>;
  /** The object is being deleted and still carries our finalizer. Must be idempotent; throw to keep the finalizer. */
  cleanup(obj: KubeObject): Promise<CleanupResult>;
}

export type FinalizerAction = "add" | "apply" | "cleanup" | "none";

/** What to do with `obj` (pure). */
export function finalizerAction(obj: KubeObject, name: string): FinalizerAction {
  const present = (obj.metadata.finalizers ?? []).includes(name);
  if (obj.metadata.deletionTimestamp) return present ? "cleanup" : "none";
  return present ? "apply" : "add";
}

/**
 * JSON patch adding `name`: guarded by a test of the whole current list (or of its absence), so a concurrent change
 * of the finalizers fails the patch.
 */
export function addFinalizerPatch(obj: KubeObject, name: string): JsonPatchOp[] {
  const current = obj.metadata.finalizers;
  if (current === undefined) {
    return [
      { op: "test", path: "/metadata/finalizers", value: null },
      { op: "add", path: "/metadata/finalizers", value: [name] },
    ];
  }
  return [
    { op: "test", path: "/metadata/finalizers", value: current },
    { op: "add", path: "/metadata/finalizers/-", value: name },
  ];
}

/** JSON patch removing `name` at its index, guarded by a test that the index still holds it. */
export function removeFinalizerPatch(obj: KubeObject, name: string): JsonPatchOp[] | undefined {
  const index = (obj.metadata.finalizers ?? []).indexOf(name);
  if (index < 0) return undefined;
  return [
    { op: "test", path: `/metadata/finalizers/${index}`, value: name },
    { op: "remove", path: `/metadata/finalizers/${index}` },
  ];
}

/**
 * Run one reconcile pass through the finalizer state machine. Returns the apply handler's result, `{requeueAfter}`
 * while cleanup is not done, `{error, retryFloorMs}` when it failed, or undefined when the pass added the
 * finalizer, removed it, or had nothing to do.
 */
export async function finalizer<R>(
  writer: FinalizerWriter,
  res: ResourceType,
  name: string,
  obj: KubeObject,
  handlers: FinalizerHandlers<R>,
): Promise<R | ReconcileResult | undefined> {
  const ref = { namespace: obj.metadata.namespace, name: obj.metadata.name ?? "" };
  switch (finalizerAction(obj, name)) {
    case "add":
      await writer.jsonPatch(res, ref, addFinalizerPatch(obj, name));
      return undefined;
    case "apply":
      return handlers.apply(obj);
    case "cleanup": {
      // A throw here propagates with the finalizer still in place: the queue retries with backoff.
      const result = await handlers.cleanup(obj);
      if (!result.done) return "error" in result ? { error: result.error, retryFloorMs: result.retryFloorMs } : { requeueAfter: result.requeueAfter };
      const removal = removeFinalizerPatch(obj, name);
      if (removal) {
        try {
          await writer.jsonPatch(res, ref, removal);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return undefined;
    }
    case "none":
      return undefined;
  }
}
