/**
 * `computeStatus`: the whole DittoServer status from what one reconcile pass observed. Pure; the reconciler
 * writes the result once at the end of every pass (errors included) when `statusEqual` says it changed.
 * Condition types, reasons and phases are documented in docs/conditions.md.
 */
import { isDeepStrictEqual } from "node:util";
import type { DittoServer, DittoServerPhase, DittoServerStatus, SnapshotPolicyStatus, StoreStatus } from "../api/types.ts";
import { setCondition } from "../runtime/conditions.ts";
import type { Condition, KubeObject } from "../runtime/objects.ts";
import type { Adapter } from "../dittofs/wire.ts";
import { adapterStatuses } from "./adapters.ts";
import type { Serving } from "./adapters.ts";
import { childNames } from "./names.ts";
import { nfsEndpoint, podFailure, podUnschedulable, viewStatefulSet } from "./observe.ts";
import type { NfsServices } from "./observe.ts";
import { perconaState } from "./percona.ts";
import { snapshotPolicyCondition } from "./snapshot-policies.ts";
import { desiredStores, storesCondition } from "./stores.ts";
import type { MissingSecret } from "./secretrefs.ts";
import type { ForbiddenStorageChange } from "./statefulset.ts";
import { COND, REASON } from "./reasons.ts";

export { COND, REASON } from "./reasons.ts";

/** What the reconciler saw of the Percona cluster. */
export type PerconaObservation = { kind: "crdMissing" } | { kind: "absent" } | { kind: "present"; cluster: KubeObject };

export interface StatusInput {
  /** The DittoServer as read this pass (its `status` is the previous status). */
  server: DittoServer;
  now: Date | number;
  /** StatefulSet after this pass's apply, or undefined when it does not exist. */
  statefulSet?: KubeObject;
  /** Pod `<name>-0`, when the reconciler observes pods: sharper reasons (CrashLoopBackOff, …). */
  pod?: KubeObject;
  /** Required when `spec.percona.enabled`; ignored otherwise. */
  percona?: PerconaObservation;
  /** The Services clients mount NFS through (`nfsEndpoint`). */
  nfsServices?: NfsServices;
  /** `status.snapshotPolicies` as this pass's sync left it; undefined = no sync this pass (the status's stands). */
  snapshotPolicies?: SnapshotPolicyStatus[];
  /** `status.stores` as this pass's sync left it; undefined = no sync this pass (the status's stands). */
  stores?: StoreStatus[];
  clusterDomain?: string;
  /** Problems found by code rather than by the CRD (e.g. the name is too long for derived names). */
  specProblems?: string[];
  missingSecrets?: MissingSecret[];
  missingStorageClasses?: string[];
  forbiddenStorageChanges?: ForbiddenStorageChange[];
  /** Set while the reference operator's StatefulSet is being replaced by ours (takeover.ts): why ours is withheld. */
  replacingStatefulSet?: string;
  /** Immutable StatefulSet fields the desired object would change (e.g. a selector left by another operator). */
  immutableChanges?: string[];
  /** PVCs whose expansion was requested and has not completed. */
  expandingVolumes?: string[];
  /** Transient failures of this pass (`step`: what was being done). */
  errors?: { step: string; message: string }[];
  /** What the DittoFS API pass established; absent when the operator runs without one (nothing of it changes). */
  api?: ApiStatus;
  /** Where deletion stands (only while the DittoServer is being deleted). */
  deletion?: DeletionProgress;
  /** How long the scheduler must have refused the pod before the status says so (default 30 s)… */
  unschedulableGraceMs?: number;
  /** …or, when the pod only waits for its claims to bind, this long (default 10 min). */
  volumeBindingGraceMs?: number;
}

/** The wait for the file-server pods during deletion; Progressing carries it (docs/conditions.md). */
export type DeletionProgress =
  | { step: "terminating"; pods: string[] }
  | { step: "terminatingSlowly"; pods: string[]; afterSeconds: number; timeoutSeconds: number }
  | { step: "timedOut"; pods: string[]; afterSeconds: number }
  | { step: "podsTerminated" };

/** The API pass's findings (api-pass.ts): the `Authenticated` condition, `status.adapters`, Ready means serving. */
export interface ApiStatus {
  authenticated: { ok: boolean; reason: string; message: string };
  /** The current pod's adapters as last polled; undefined while its API has never answered. */
  adapters?: readonly Adapter[] | undefined;
  /** Undefined while the adapters are unknown: Ready then follows the pod's readiness alone. */
  serving?: Serving | undefined;
}

export const DEFAULT_UNSCHEDULABLE_GRACE_MS = 30_000;
/**
 * A Deployment's default progress deadline (progressDeadlineSeconds 600): a provisioner binding claims is making
 * progress; when a thousand servers start at once, claims bind over minutes, and each early report would cost two
 * status writes per server (the reason appears, then goes) while telling the user nothing is wrong.
 */
export const DEFAULT_VOLUME_BINDING_GRACE_MS = 10 * 60_000;

export interface Problem {
  reason: string;
  message: string;
}

function list(items: readonly string[]): string {
  return items.join(", ");
}

/**
 * Problems that block progress until the user acts; the reconciler must not roll the StatefulSet while any
 * exists (the old pod keeps serving), and the phase is Failed.
 */
export function blockingProblems(input: StatusInput): Problem[] {
  const out: Problem[] = [];
  const name = input.server.metadata.name ?? "";
  if (input.specProblems?.length) out.push({ reason: REASON.InvalidSpec, message: input.specProblems.join("; ") });
  const missing = (input.missingSecrets ?? []).filter((m) => m.source === "user");
  if (missing.length > 0) {
    const text = missing.map((m) => (m.secretAbsent ? `Secret ${m.name} (for ${m.purpose})` : `key ${m.key} of Secret ${m.name} (for ${m.purpose})`));
    out.push({ reason: REASON.SecretNotFound, message: `missing ${list(text)}` });
  }
  if (input.missingStorageClasses?.length) {
    out.push({ reason: REASON.StorageClassNotFound, message: `StorageClass ${list(input.missingStorageClasses)} not found` });
  }
  const refused = [...(input.forbiddenStorageChanges ?? []).map((c) => c.message), ...(input.immutableChanges ?? []).map((f) => `${f} of StatefulSet ${name} is immutable`)];
  if (refused.length > 0) out.push({ reason: REASON.StorageChangeRefused, message: `refused: ${refused.join("; ")}` });
  if (input.server.spec.percona?.enabled && input.percona?.kind === "crdMissing") {
    out.push({ reason: REASON.PerconaCRDMissing, message: "the PerconaPGCluster CRD (pgv2.percona.com) is not installed; install the Percona Operator for PostgreSQL" });
  }
  return out;
}

/** `ok`: the positive condition holds; `active`: the condition whose True is a concern (Progressing, Degraded). */
interface Conds {
  config: Problem & { ok: boolean };
  database?: Problem & { ok: boolean };
  available: Problem & { ok: boolean };
  progressing: Problem & { active: boolean };
  degraded: Problem & { active: boolean };
}

function configCondition(input: StatusInput, blockers: Problem[]): Conds["config"] {
  const names = childNames(input.server.metadata.name ?? "");
  const configBlockers = blockers.filter((b) => b.reason !== REASON.PerconaCRDMissing);
  if (configBlockers.length > 0) return { ok: false, reason: configBlockers[0]!.reason, message: configBlockers.map((b) => b.message).join("; ") };
  const ownSecrets = (input.missingSecrets ?? []).filter((m) => m.source === "operator");
  if (ownSecrets.length > 0) {
    return { ok: false, reason: REASON.SecretNotFound, message: `generated Secret ${list([...new Set(ownSecrets.map((m) => m.name))])} not created yet` };
  }
  if (input.errors?.length) return { ok: false, reason: REASON.ApplyFailed, message: input.errors.map((e) => `${e.step}: ${e.message}`).join("; ") };
  return { ok: true, reason: REASON.ConfigApplied, message: `ConfigMap ${names.configMap} and every referenced Secret are in place` };
}

function databaseCondition(input: StatusInput): Conds["database"] {
  if (!input.server.spec.percona?.enabled) return undefined;
  const cluster = childNames(input.server.metadata.name ?? "").perconaCluster;
  const seen = input.percona ?? { kind: "absent" };
  if (seen.kind === "crdMissing") return { ok: false, reason: REASON.PerconaCRDMissing, message: "PerconaPGCluster CRD not installed" };
  if (seen.kind === "absent") return { ok: false, reason: REASON.PerconaNotFound, message: `PerconaPGCluster ${cluster} does not exist yet` };
  const state = perconaState(seen.cluster);
  if (state !== "ready") return { ok: false, reason: REASON.PerconaNotReady, message: `PerconaPGCluster ${cluster} is ${state ?? "initializing (no status yet)"}` };
  const secret = (input.missingSecrets ?? []).find((m) => m.source === "percona");
  if (secret) return { ok: false, reason: REASON.DatabaseSecretNotFound, message: `PerconaPGCluster ${cluster} is ready but Secret ${secret.name} lacks ${secret.key}` };
  return { ok: true, reason: REASON.PerconaReady, message: `PerconaPGCluster ${cluster} is ready` };
}

function workloadConditions(input: StatusInput, blockers: Problem[], database: Conds["database"]): Pick<Conds, "available" | "progressing" | "degraded"> {
  const name = input.server.metadata.name ?? "";
  const desired = input.server.spec.replicas;
  const sts = input.statefulSet;
  const failure = podFailure(input.pod);
  const failureText = failure ? `${failure.init ? "init container" : "container"} ${failure.container}: ${failure.reason}${failure.message ? ` (${failure.message})` : ""}` : "";
  const degraded: Conds["degraded"] = failure
    ? { active: true, reason: REASON.PodFailing, message: `pod ${name}-0 ${failureText}` }
    : input.errors?.length
      ? { active: true, reason: REASON.ReconcileError, message: input.errors.map((e) => `${e.step}: ${e.message}`).join("; ") }
      : { active: false, reason: REASON.AsExpected, message: "no failures observed" };

  if (!sts) {
    const why = blockers[0]
      ? { reason: REASON.Blocked, message: `StatefulSet ${name} not created: ${blockers[0].message}` }
      : input.replacingStatefulSet
        ? { reason: REASON.ReplacingStatefulSet, message: input.replacingStatefulSet }
        : database && !database.ok
        ? { reason: REASON.WaitingForDatabase, message: `StatefulSet ${name} waits for the database: ${database.message}` }
        : { reason: REASON.Creating, message: `StatefulSet ${name} is being created` };
    const available = desired === 0
      ? { ok: true, reason: REASON.ScaledToZero, message: "replicas is 0: the server is stopped on purpose" }
      : { ok: false, reason: REASON.StatefulSetNotFound, message: `StatefulSet ${name} ${input.replacingStatefulSet ? "is being replaced" : "does not exist"}` };
    const progressing = { active: !blockers[0], ...why };
    return { available, progressing, degraded };
  }

  const view = viewStatefulSet(sts);
  const unschedulable = podUnschedulable(input.pod, new Date(input.now).getTime(), {
    graceMs: input.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS,
    volumeBindingGraceMs: input.volumeBindingGraceMs ?? DEFAULT_VOLUME_BINDING_GRACE_MS,
  });
  let available: Conds["available"];
  if (desired === 0) available = { ok: true, reason: REASON.ScaledToZero, message: "replicas is 0: the server is stopped on purpose" };
  else if (view.available >= 1) available = { ok: true, reason: REASON.MinimumReplicasAvailable, message: `${view.available}/${desired} pod(s) of StatefulSet ${name} available` };
  else if (failure) available = { ok: false, reason: REASON.PodFailing, message: `no pod available: ${failureText}` };
  else available = { ok: false, reason: REASON.NoReplicasAvailable, message: `no pod of StatefulSet ${name} is ready${unschedulable ? `: ${unschedulable}` : ""}` };

  const waitingMessage = `waiting for pod ${name}-0 to become ready${unschedulable ? `: ${unschedulable}` : ""}`;
  let progressing: Conds["progressing"];
  if (blockers[0]) progressing = { active: false, reason: REASON.Blocked, message: blockers.map((b) => b.message).join("; ") };
  else if (failure) progressing = { active: false, reason: REASON.PodFailing, message: `rollout stuck: pod ${name}-0 ${failureText}` };
  else if (desired > 0 && view.current === 0 && view.ready === 0) {
    // Nothing runs yet (first start, or a start from replicas 0): whether the StatefulSet controller has seen
    // the template, is creating the pod or waits for it, the user waits for one thing. One stable state keeps a
    // start at two status writes (this one, then Ready) instead of one per StatefulSet status update.
    progressing = { active: true, reason: REASON.WaitingForPodReady, message: waitingMessage };
  } else if (!view.observed || !view.revisionsConverged || view.updated < Math.min(view.current, desired)) {
    progressing = { active: true, reason: REASON.RollingUpdate, message: `StatefulSet ${name} is rolling out a new pod template${view.templateHash ? ` (config ${view.templateHash.slice(0, 12)})` : ""}` };
  } else if (view.current !== desired) {
    progressing = { active: true, reason: REASON.Scaling, message: `StatefulSet ${name} scaling from ${view.current} to ${desired}` };
  } else if (input.expandingVolumes?.length) {
    progressing = { active: true, reason: REASON.ExpandingVolumes, message: `expanding ${list(input.expandingVolumes)}` };
  } else if (view.ready < desired) {
    progressing = { active: true, reason: REASON.WaitingForPodReady, message: waitingMessage };
  } else progressing = { active: false, reason: REASON.RolloutComplete, message: `StatefulSet ${name} is up to date` };
  return { available, progressing, degraded };
}

/** Progressing during deletion: the step the wait for the pods has reached. */
function deletionCondition(progress: DeletionProgress): Conds["progressing"] {
  switch (progress.step) {
    case "terminating":
      return { active: true, reason: REASON.PodsTerminating, message: `waiting for ${list(progress.pods)} to terminate` };
    case "terminatingSlowly":
      return { active: true, reason: REASON.PodsTerminatingSlowly, message: `pods ${list(progress.pods)} still terminating after ${progress.afterSeconds}s; waiting up to ${progress.timeoutSeconds}s` };
    case "timedOut":
      return { active: false, reason: REASON.CleanupTimeout, message: `cleanup did not finish in ${progress.afterSeconds}s; finalizer removed anyway (${list(progress.pods)} still terminating)` };
    case "podsTerminated":
      return { active: false, reason: REASON.PodsTerminated, message: "file-server pods terminated" };
  }
}

/** Canonical condition order in the status list. */
const ORDER: string[] = [COND.Ready, COND.Available, COND.Progressing, COND.Degraded, COND.ConfigReady, COND.DatabaseReady, COND.Authenticated, COND.StoresReady, COND.SnapshotPoliciesReady];

function phaseOf(input: StatusInput, blockers: Problem[], c: Conds): DittoServerPhase {
  if (input.server.metadata.deletionTimestamp) return "Deleting";
  if (blockers.length > 0 || c.progressing.reason === REASON.PodFailing) return "Failed";
  if (input.server.spec.replicas === 0) return "Stopped";
  if (c.available.ok) return "Running";
  return "Pending";
}

/** The full status this pass should write. */
export function computeStatus(input: StatusInput): DittoServerStatus {
  const { server } = input;
  const generation = server.metadata.generation;
  const name = server.metadata.name ?? "";
  const previous = server.status;
  const blockers = blockingProblems(input);
  const config = configCondition(input, blockers);
  const database = databaseCondition(input);
  const workload = workloadConditions(input, blockers, database);
  const conds: Conds = { config, database, ...workload, ...(input.deletion ? { progressing: deletionCondition(input.deletion) } : {}) };

  const failing: string[] = [];
  if (!config.ok) failing.push(`${COND.ConfigReady}=False (${config.reason})`);
  if (database && !database.ok) failing.push(`${COND.DatabaseReady}=False (${database.reason})`);
  if (!conds.available.ok) failing.push(`${COND.Available}=False (${conds.available.reason})`);
  if (conds.progressing.active) failing.push(`${COND.Progressing}=True (${conds.progressing.reason})`);
  if (conds.degraded.active) failing.push(`${COND.Degraded}=True (${conds.degraded.reason})`);
  const deleting = server.metadata.deletionTimestamp !== undefined;
  const terminating = input.deletion?.step === "terminating" || input.deletion?.step === "terminatingSlowly" ? input.deletion.pods : [];
  const serving = input.api?.serving;
  const ready: Problem & { ok: boolean } = deleting
    ? { ok: false, reason: REASON.Deleting, message: terminating.length ? `deleting: waiting for ${list(terminating)} to terminate` : "deleting" }
    : failing.length > 0
      ? { ok: false, reason: readyReason(conds), message: `not ready: ${failing.join("; ")}` }
      : serving && !serving.serving
        ? { ok: false, reason: serving.reason, message: `not serving: ${serving.message}` }
        : { ok: true, reason: REASON.ServerReady, message: serving ? `DittoServer ${name} is ${serving.message}` : `DittoServer ${name} is serving` };

  const set = (list: Condition[], type: string, status: boolean, p: Problem): Condition[] =>
    setCondition(list, { type, status: status ? "True" : "False", reason: p.reason, message: p.message, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, input.now);
  let conditions = (previous?.conditions ?? []) as Condition[];
  conditions = set(conditions, COND.ConfigReady, config.ok, config);
  conditions = database ? set(conditions, COND.DatabaseReady, database.ok, database) : conditions.filter((c) => c.type !== COND.DatabaseReady);
  conditions = set(conditions, COND.Available, conds.available.ok, conds.available);
  conditions = set(conditions, COND.Progressing, conds.progressing.active, conds.progressing);
  conditions = set(conditions, COND.Degraded, conds.degraded.active, conds.degraded);
  if (input.api) conditions = set(conditions, COND.Authenticated, input.api.authenticated.ok, input.api.authenticated);
  const policyRecord = input.snapshotPolicies ?? previous?.snapshotPolicies ?? [];
  const policies = snapshotPolicyCondition(server.spec.snapshotPolicies ?? [], policyRecord);
  conditions = policies ? set(conditions, COND.SnapshotPoliciesReady, policies.ok, policies) : conditions.filter((c) => c.type !== COND.SnapshotPoliciesReady);
  const storeRecord = input.stores ?? previous?.stores ?? [];
  const stores = storesCondition(desiredStores(server), storeRecord);
  conditions = stores ? set(conditions, COND.StoresReady, stores.ok, stores) : conditions.filter((c) => c.type !== COND.StoresReady);
  conditions = set(conditions, COND.Ready, ready.ok, ready); // last: it summarises the others
  conditions = [...conditions].sort((a, b) => rank(a.type) - rank(b.type));

  const sts = input.statefulSet ? viewStatefulSet(input.statefulSet) : undefined;
  const readyReplicas = sts?.ready ?? 0;
  const status: DittoServerStatus = {
    observedGeneration: generation,
    replicas: server.spec.replicas,
    readyReplicas,
    availableReplicas: sts?.available ?? 0,
    ready: `${readyReplicas}/${server.spec.replicas}`,
    phase: phaseOf(input, blockers, conds),
    configHash: sts?.templateHash ?? previous?.configHash,
    perconaClusterName: server.spec.percona?.enabled ? childNames(name).perconaCluster : undefined,
    snapshotPolicies: policyRecord.length > 0 ? policyRecord : undefined,
    stores: storeRecord.length > 0 ? storeRecord : undefined,
    nfsEndpoint: nfsEndpoint(name, server.metadata.namespace ?? "", input.nfsServices ?? {}, input.clusterDomain),
    conditions,
    adapters: input.api ? (input.api.adapters ? adapterStatuses(input.api.adapters) : undefined) : previous?.adapters,
  };
  return dropUndefined(status);
}

function rank(type: string): number {
  const i = ORDER.indexOf(type);
  return i < 0 ? ORDER.length : i;
}

function readyReason(c: Conds): string {
  if (!c.config.ok) return REASON.ConfigNotReady;
  if (c.database && !c.database.ok) return REASON.DatabaseNotReady;
  if (!c.available.ok) return REASON.NotAvailable;
  if (c.progressing.active) return REASON.RolloutInProgress;
  return REASON.Degraded;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Semantic equality of two statuses: condition order and absent-vs-undefined fields do not matter. */
export function statusEqual(a: DittoServerStatus | undefined, b: DittoServerStatus | undefined): boolean {
  const norm = (s: DittoServerStatus | undefined) => {
    if (!s) return {};
    const plain = dropUndefined({ ...s });
    const conditions = [...(s.conditions ?? [])].map((c) => dropUndefined({ ...c })).sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0));
    return { ...plain, conditions };
  };
  return isDeepStrictEqual(norm(a), norm(b));
}
