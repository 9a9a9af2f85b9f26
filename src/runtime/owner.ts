/**
 * Controller owner references: building them for children, and mapping a child back to its controller owner
 * (controller-runtime `EnqueueRequestForOwner(..., OnlyControllerOwner())`, kube-rs `trigger_owners`). Pure.
 */
import { parseApiVersion } from "./resources.ts";
import type { KubeObject, OwnerReference } from "./objects.ts";

/** `{apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}` pointing at `owner`. */
export function controllerOwnerReference(owner: KubeObject): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name || !uid) throw new Error(`owner ${owner.kind} needs metadata.name and metadata.uid (read it from the API)`);
  return { apiVersion: owner.apiVersion, kind: owner.kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The reference marked `controller: true`, if any (there is at most one). */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** Is `obj` controlled by `owner` (same uid)? */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

export interface OwnerKind {
  group: string;
  kind: string;
  namespaced: boolean;
}

/**
 * Keys (`namespace/name`) of the owners of kind `owner` that control `child`. The version is ignored (an owner
 * reference written under another version of the same group still points at the same object); a namespaced owner is
 * always in the child's namespace.
 */
export function controllerOwnerKeys(child: KubeObject, owner: OwnerKind): string[] {
  const keys: string[] = [];
  for (const ref of child.metadata.ownerReferences ?? []) {
    if (ref.controller !== true || ref.kind !== owner.kind) continue;
    if (parseApiVersion(ref.apiVersion).group !== owner.group) continue;
    if (!ref.name) continue;
    if (!owner.namespaced) keys.push(ref.name);
    else if (child.metadata.namespace) keys.push(`${child.metadata.namespace}/${ref.name}`);
  }
  return keys;
}
