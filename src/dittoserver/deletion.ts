/**
 * Deletion behind the finalizer (the cleanup handler of `finalizer()`): phase Deleting, the StatefulSet scaled to
 * 0, a bounded wait for its pods (Warning after `deletionPodWarningMs`, give up after `deletionPodTimeoutMs`, both
 * measured from the deletionTimestamp; the pass asks to be run again instead of blocking a worker), the Percona
 * cluster deleted or orphaned, then `done` and the helper removes the finalizer. PVCs stay (retention Retain).
 *
 * Every step is recorded in the status (Progressing carries the deletion step, see docs/conditions.md) and its
 * event is a transition of that status, published after the status write: what has been reported is read back
 * from the object, so an operator restarted mid-deletion neither repeats nor skips an event.
 */
import type { DittoServer } from "../api/types.ts";
import type { ReconcileContext } from "../runtime/controller.ts";
import type { CleanupResult } from "../runtime/finalizer.ts";
import { errorMessage } from "../runtime/errors.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import { transitionEvents } from "./events.ts";
import { errorsOf } from "./executor.ts";
import type { Write } from "./executor.ts";
import { PERCONA_CLUSTERS } from "./kinds.ts";
import type { OperatorOptions } from "./kinds.ts";
import { LABEL_INSTANCE } from "./labels.ts";
import { childNames } from "./names.ts";
import { failureOf, observePercona, passFacts, perform, publishEvents, statusWrites } from "./reconciler.ts";
import type { ReconcilerDeps } from "./reconciler.ts";
import { retryFloorMs } from "./retries.ts";
import { COND, computeStatus, REASON } from "./status.ts";
import type { DeletionProgress } from "./status.ts";

/** Where the wait for the pods stands (pure). */
export function deletionProgress(pods: string[], elapsedMs: number, options: Pick<OperatorOptions, "deletionPodWarningMs" | "deletionPodTimeoutMs">): DeletionProgress {
  if (pods.length === 0) return { step: "podsTerminated" };
  const timeoutSeconds = options.deletionPodTimeoutMs / 1000;
  if (elapsedMs >= options.deletionPodTimeoutMs) return { step: "timedOut", pods, afterSeconds: Math.round(timeoutSeconds) };
  if (elapsedMs >= options.deletionPodWarningMs) return { step: "terminatingSlowly", pods, afterSeconds: Math.round(options.deletionPodWarningMs / 1000), timeoutSeconds };
  return { step: "terminating", pods };
}

/** The pass can go on to the database and the finalizer: the pods are gone, or we stopped waiting for them. */
export function podsSettled(progress: DeletionProgress): boolean {
  return progress.step === "podsTerminated" || progress.step === "timedOut";
}

/** The status already records the pods settled (a previous pass reported it). */
function settledIn(status: DittoServer["status"]): boolean {
  const reason = status?.conditions?.find((c) => c.type === COND.Progressing)?.reason;
  return reason === REASON.PodsTerminated || reason === REASON.CleanupTimeout;
}

/**
 * How long to wait before looking again while the pods terminate: exactly until the next mark (the warning, then
 * the timeout). Pods are watched, so their termination brings a pass by itself; polling in between only costs
 * passes, and with many deletions at once those passes delay the ones that matter (issue 15, the delete row).
 */
export function deletionRequeueMs(elapsedMs: number, options: Pick<OperatorOptions, "deletionPodWarningMs" | "deletionPodTimeoutMs">): number {
  const nextMark = elapsedMs < options.deletionPodWarningMs ? options.deletionPodWarningMs : options.deletionPodTimeoutMs;
  return Math.max(100, nextMark - elapsedMs);
}

/**
 * The writes of one deletion pass (pure): the StatefulSet scaled to 0 (a merge patch: an apply of replicas
 * alone would drop our ownership of every other field); once the pods are settled, the Percona cluster (as read
 * from the API: the decision destroys data, a stale cache must not make it) deleted, or orphaned by removing our
 * ownerReference so garbage collection never takes it.
 */
export function deletionWrites(server: DittoServer, statefulSet: KubeObject | undefined, progress: DeletionProgress, cluster: KubeObject | undefined): Write[] {
  const namespace = server.metadata.namespace ?? "";
  const names = childNames(server.metadata.name ?? "");
  const writes: Write[] = [];
  const replicas = (statefulSet?.spec as { replicas?: number } | undefined)?.replicas;
  if (statefulSet && replicas !== 0) {
    writes.push({ op: "mergePatch", resource: CORE.statefulSets, ref: { namespace, name: names.statefulSet }, patch: { spec: { replicas: 0 } }, step: `scale StatefulSet ${names.statefulSet} to 0` });
  }
  if (!podsSettled(progress) || !cluster) return writes;
  const ref = { namespace, name: names.perconaCluster };
  if (server.spec.percona?.deleteWithServer) {
    writes.push({ op: "delete", resource: PERCONA_CLUSTERS, ref, preconditions: { uid: cluster.metadata.uid ?? "" }, step: `delete PerconaPGCluster ${ref.name}`, tolerate: ["NotFound"], fact: { perconaDeleted: ref.name } });
    return writes;
  }
  const index = (cluster.metadata.ownerReferences ?? []).findIndex((r) => r.uid === server.metadata.uid);
  if (index >= 0) {
    const ops = [
      { op: "test" as const, path: `/metadata/ownerReferences/${index}/uid`, value: server.metadata.uid },
      { op: "remove" as const, path: `/metadata/ownerReferences/${index}` },
    ];
    writes.push({ op: "jsonPatch", resource: PERCONA_CLUSTERS, ref, ops, step: `orphan PerconaPGCluster ${ref.name}` });
  }
  return writes;
}

/** One cleanup pass. `done` → the finalizer helper removes the finalizer; otherwise it asks to run again. */
export async function cleanupServer(deps: ReconcilerDeps, ctx: ReconcileContext, server: DittoServer): Promise<CleanupResult> {
  const { cache, options } = deps;
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const names = childNames(name);
  const now = deps.clock.now();
  const elapsedMs = now - Date.parse(server.metadata.deletionTimestamp ?? new Date(now).toISOString());

  const pods = cache
    .list(CORE.pods, namespace)
    .filter((p) => p.metadata.labels?.[LABEL_INSTANCE] === name)
    .map((p) => p.metadata.name ?? "")
    .sort();
  const statefulSet = cache.get(CORE.statefulSets, `${namespace}/${names.statefulSet}`);
  const progress = deletionProgress(pods, elapsedMs, options);
  const readCluster = podsSettled(progress) && server.spec.percona?.enabled && cache.watched(PERCONA_CLUSTERS);
  const cluster = readCluster ? await deps.writer.readLive(PERCONA_CLUSTERS, { namespace, name: names.perconaCluster }) : undefined;
  const report = await perform(deps, ctx, deletionWrites(server, statefulSet, progress, cluster));

  const next = computeStatus({
    server,
    now,
    statefulSet,
    clusterDomain: options.clusterDomain,
    deletion: progress,
    errors: errorsOf(report, errorMessage),
    ...(server.spec.percona?.enabled ? { percona: observePercona(cache, namespace, name) } : {}),
  });
  const status = await perform(deps, ctx, statusWrites(server, next));
  const facts = passFacts(report);
  // Kept is not a write (a cluster made without deleteWithServer never had our ownerReference): it is reported
  // with the pass that records the pods settled in the status, which no later pass repeats.
  if (cluster && !server.spec.percona?.deleteWithServer && !report.failure && podsSettled(progress) && !settledIn(server.status)) facts.perconaOrphaned = names.perconaCluster;
  if (!status.failure) publishEvents(deps, server, transitionEvents(server.status, next, facts));
  const failure = failureOf(report) ?? failureOf(status);
  if (failure) return { done: false, error: failure, retryFloorMs: retryFloorMs(next, now) }; // the finalizer stays
  return podsSettled(progress) ? { done: true } : { done: false, requeueAfter: deletionRequeueMs(elapsedMs, options) };
}
