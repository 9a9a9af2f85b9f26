/**
 * Deletion behind the finalizer: phase Deleting, the StatefulSet scaled to 0, a bounded wait for its pods
 * (Warning after `deletionPodWarningMs`, give up after `deletionPodTimeoutMs`, both measured from the
 * deletionTimestamp; the pass requeues instead of blocking a worker), the Percona cluster deleted or orphaned,
 * then the caller removes the finalizer. PVCs stay (retention policy Retain). Every step is idempotent.
 */
import type { DittoServer } from "../api/types.ts";
import { errorMessage, isNotFound } from "../runtime/errors.ts";
import { CORE } from "../runtime/resources.ts";
import type { DeletionStep, EventSpec } from "./events.ts";
import { EVENT, transitionEvents } from "./events.ts";
import { PERCONA_CLUSTERS, PERCONA_CRD } from "./kinds.ts";
import { LABEL_INSTANCE } from "./labels.ts";
import { childNames } from "./names.ts";
import { observePercona, POD_SELECTOR, publishEvents, writeStatus } from "./reconciler.ts";
import type { ReconcilerDeps } from "./reconciler.ts";
import { computeStatus } from "./status.ts";

/** Deletion steps already reported, per DittoServer UID: each event is emitted once per deletion. */
const reported = new Map<string, Set<string>>();

function once(uid: string, what: string): boolean {
  let seen = reported.get(uid);
  if (!seen) reported.set(uid, (seen = new Set()));
  if (seen.has(what)) return false;
  seen.add(what);
  return true;
}

/** The finalizer is about to go: forget what this deletion reported. */
export function forgetDeletion(uid: string): void {
  reported.delete(uid);
}

export type CleanupOutcome = { done: true } | { done: false; requeueAfter: number };

/** One cleanup pass. `done` → the caller removes the finalizer; otherwise requeue after the delay. */
export async function cleanupServer(deps: ReconcilerDeps, server: DittoServer): Promise<CleanupOutcome> {
  const { manager, recorder, options } = deps;
  const client = manager.client;
  const namespace = server.metadata.namespace ?? "";
  const name = server.metadata.name ?? "";
  const uid = server.metadata.uid ?? "";
  const names = childNames(name);
  const facts: EventSpec[] = [];
  const emit = (step: DeletionStep): void => {
    facts.push(...transitionEvents({ phase: "Deleting" }, { phase: "Deleting" }, { deletion: step }));
  };
  const elapsedMs = Date.now() - Date.parse(server.metadata.deletionTimestamp ?? new Date().toISOString());

  const pods = manager.cache
    .informerFor(CORE.pods, POD_SELECTOR)
    .list(namespace)
    .filter((p) => p.metadata.labels?.[LABEL_INSTANCE] === name)
    .map((p) => p.metadata.name ?? "")
    .sort();
  const status = computeStatus({
    server,
    now: Date.now(),
    statefulSet: manager.cache.get(CORE.statefulSets, `${namespace}/${names.statefulSet}`),
    clusterDomain: options.clusterDomain,
    terminatingPods: pods,
    ...(server.spec.percona?.enabled ? { percona: observePercona(manager, namespace, name) } : {}),
  });
  const lifecycle = transitionEvents(server.status, status).filter((e) => e.reason !== EVENT.Deleting || once(uid, "deleting"));

  try {
    await writeStatus(manager, server, status);
    const sts = manager.cache.get(CORE.statefulSets, `${namespace}/${names.statefulSet}`);
    const replicas = (sts?.spec as { replicas?: number } | undefined)?.replicas;
    // A merge patch, not an apply: an apply of replicas alone would drop our ownership of every other field.
    if (sts && replicas !== 0) {
      await manager.cache.informerFor(CORE.statefulSets).writeThrough(`${namespace}/${names.statefulSet}`, () => client.mergePatch(CORE.statefulSets, { namespace, name: names.statefulSet }, { spec: { replicas: 0 } }));
    }

    if (pods.length > 0) {
      if (elapsedMs < options.deletionPodTimeoutMs) {
        if (elapsedMs >= options.deletionPodWarningMs && once(uid, "warned")) {
          emit({ step: "podsTerminatingSlowly", pods, afterSeconds: Math.round(elapsedMs / 1000), timeoutSeconds: options.deletionPodTimeoutMs / 1000 });
        }
        const nextMark = elapsedMs < options.deletionPodWarningMs ? options.deletionPodWarningMs : options.deletionPodTimeoutMs;
        publishEvents(recorder, server, [...lifecycle, ...facts]);
        return { done: false, requeueAfter: Math.max(100, Math.min(5_000, nextMark - elapsedMs)) };
      }
      if (once(uid, "timeout")) emit({ step: "cleanupTimeout", afterSeconds: Math.round(options.deletionPodTimeoutMs / 1000) });
    } else if (once(uid, "podsTerminated")) emit({ step: "podsTerminated" });

    await settlePercona(deps, server, (step) => { if (once(uid, step.step)) emit(step); });
    publishEvents(recorder, server, [...lifecycle, ...facts]);
    return { done: true };
  } catch (err) {
    emit({ step: "cleanupFailed", message: `deletion step failed (retrying): ${errorMessage(err)}` });
    publishEvents(recorder, server, [...lifecycle, ...facts]);
    throw err;
  }
}

/** Delete the Percona cluster with the server, or orphan it (drop our ownerReference so GC never takes it). */
async function settlePercona(deps: ReconcilerDeps, server: DittoServer, emit: (step: DeletionStep) => void): Promise<void> {
  const percona = server.spec.percona;
  if (!percona?.enabled || !deps.manager.optionalApis.isAvailable(PERCONA_CRD, PERCONA_CLUSTERS.version)) return;
  const client = deps.manager.client;
  const namespace = server.metadata.namespace ?? "";
  const cluster = childNames(server.metadata.name ?? "").perconaCluster;
  // Read from the API: the decision destroys data, a stale cache must not make it.
  const current = await client.getOrUndefined(PERCONA_CLUSTERS, { namespace, name: cluster });
  if (!current) return;
  if (percona.deleteWithServer) {
    try {
      await client.delete(PERCONA_CLUSTERS, { namespace, name: cluster }, { preconditions: { uid: current.metadata.uid ?? "" } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    emit({ step: "perconaDeleted", cluster });
    return;
  }
  const refs = current.metadata.ownerReferences ?? [];
  const index = refs.findIndex((r) => r.uid === server.metadata.uid);
  if (index >= 0) {
    await client.jsonPatch(PERCONA_CLUSTERS, { namespace, name: cluster }, [
      { op: "test", path: `/metadata/ownerReferences/${index}/uid`, value: server.metadata.uid },
      { op: "remove", path: `/metadata/ownerReferences/${index}` },
    ]);
  }
  emit({ step: "perconaOrphaned", cluster });
}

