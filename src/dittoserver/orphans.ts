/**
 * Claims left behind by someone else's scale-up. A DittoServer runs at most one pod (ordinal 0), so a StatefulSet
 * scaled up by hand (`kubectl scale`) gets its replicas reverted, and the StatefulSet controller removes the extra
 * pods, but with `whenScaled: Retain` (the claims of ordinal 0 must survive a scale to 0) it leaves their claims.
 *
 * The rule: a claim of an ordinal ≥ 1, made from one of our claim templates, is deleted only if it never bound to a
 * volume (no `spec.volumeName`, phase not Bound, as read from the API server: a stale cache must not decide). Such
 * a claim never held data: no pod could run on it. A claim that bound is kept, whatever ran on it: the extra pod
 * may have served clients (the file Service selects every pod of the server), and only a person can tell whether
 * what it wrote matters. Claims of ordinal 0 are never touched. The claims are looked at while a sign of extra
 * ordinals is visible (the StatefulSet's replicas above 1, or pod 1 in the cache): the StatefulSet controller
 * makes a pod's claims before the pod, so they exist by the time its pod shows. A deleted claim that a pod still
 * names is held by Kubernetes' pvc-protection until that pod is gone.
 */
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import type { Write } from "./executor.ts";
import { PVCS } from "./kinds.ts";
import { podName, pvcName } from "./names.ts";
import type { ReconcilerDeps } from "./reconciler.ts";
import { volumeClaimTemplates } from "./statefulset.ts";

/**
 * Ordinals ≥ 1 that the StatefulSet's replicas (spec or status) show, or ordinal 1 when its pod is in the cache
 * (a pod shows before the StatefulSet's status counts it).
 */
export function extraOrdinals(statefulSet: KubeObject | undefined, podOneCached: boolean): number[] {
  const spec = (statefulSet?.spec as { replicas?: number } | undefined)?.replicas ?? 0;
  const status = (statefulSet?.status as { replicas?: number } | undefined)?.replicas ?? 0;
  const count = Math.max(spec, status, podOneCached ? 2 : 0);
  return Array.from({ length: Math.max(0, count - 1) }, (_, i) => i + 1);
}

/** Names of the claims our templates give `ordinals`. */
export function extraClaimNames(server: DittoServer, ordinals: readonly number[]): string[] {
  const templates = volumeClaimTemplates(server).map((t) => (t.metadata as { name: string }).name);
  return ordinals.flatMap((o) => templates.map((t) => pvcName(server.metadata.name ?? "", t, o)));
}

function neverBound(claim: KubeObject): boolean {
  const volume = (claim.spec as { volumeName?: string } | undefined)?.volumeName;
  const phase = (claim.status as { phase?: string } | undefined)?.phase;
  return !volume && phase !== "Bound" && !claim.metadata.deletionTimestamp;
}

/** Deletes of the claims (read from the API: name → claim or absent) that never bound; the UID is a precondition. */
export function orphanedClaimDeletes(namespace: string, claims: ReadonlyMap<string, KubeObject | undefined>): Write[] {
  const writes: Write[] = [];
  for (const [name, claim] of claims) {
    if (!claim || !neverBound(claim)) continue;
    writes.push({ op: "delete", resource: PVCS, ref: { namespace, name }, preconditions: { uid: claim.metadata.uid ?? "" }, tolerate: ["NotFound"], step: `delete unbound PersistentVolumeClaim ${name} of a scaled-down pod`, fact: { deleted: `PersistentVolumeClaim/${name}` } });
  }
  return writes;
}

/** The claims of extra ordinals as the API server has them, while extra ordinals are visible (empty otherwise). */
export async function readExtraClaims(deps: Pick<ReconcilerDeps, "cache" | "writer">, server: DittoServer, statefulSet: KubeObject | undefined): Promise<Map<string, KubeObject | undefined>> {
  const namespace = server.metadata.namespace ?? "";
  const podOne = deps.cache.get(CORE.pods, `${namespace}/${podName(server.metadata.name ?? "", 1)}`) !== undefined;
  const claims = new Map<string, KubeObject | undefined>();
  for (const name of extraClaimNames(server, extraOrdinals(statefulSet, podOne))) claims.set(name, await deps.writer.readLive(PVCS, { namespace, name }));
  return claims;
}
