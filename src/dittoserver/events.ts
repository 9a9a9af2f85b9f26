/**
 * Events the reconciler records on a DittoServer. `transitionEvents` derives them from the previous and the
 * next status plus a few facts only the pass knows (what it created, whether the rendered config changed), so a
 * pass emits an event only when something changed — never one per pass.
 */
import type { DittoServerStatus } from "../api/types.ts";
import type { Condition } from "../runtime/objects.ts";
import type { FileServiceRetirement } from "./file-service.ts";
import { COND, REASON } from "./reasons.ts";

export const EVENT = {
  FinalizerAdded: "FinalizerAdded",
  ChildrenCreated: "ChildrenCreated",
  ChildrenDeleted: "ChildrenDeleted",
  ConfigChanged: "ConfigChanged",
  SecretRotated: "SecretRotated",
  Scaled: "Scaled",
  VolumeExpansionRequested: "VolumeExpansionRequested",
  RolloutComplete: "RolloutComplete",
  Available: "Available",
  Unavailable: "Unavailable",
  PodFailing: "PodFailing",
  PerconaReady: "PerconaReady",
  PerconaNotReady: "PerconaNotReady",
  PerconaCRDMissing: "PerconaCRDMissing",
  InvalidSpec: "InvalidSpec",
  SecretNotFound: "SecretNotFound",
  StorageClassNotFound: "StorageClassNotFound",
  StorageChangeRefused: "StorageChangeRefused",
  ReconcileFailed: "ReconcileFailed",
  Deleting: "Deleting",
  PodsTerminated: "PodsTerminated",
  PerconaDeleted: "PerconaDeleted",
  PerconaOrphaned: "PerconaOrphaned",
  PodsTerminatingSlowly: "PodsTerminatingSlowly",
  CleanupFailed: "CleanupFailed",
  CleanupTimeout: "CleanupTimeout",
  NotServing: "NotServing",
  AuthenticationFailed: "AuthenticationFailed",
  AccountProvisioned: "AccountProvisioned",
  StatefulSetReplaced: "StatefulSetReplaced",
  FileServiceRetired: "FileServiceRetired",
  SnapshotPolicyFailed: "SnapshotPolicyFailed",
  StoreFailed: "StoreFailed",
} as const;
export type EventReason = (typeof EVENT)[keyof typeof EVENT];

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: EventReason;
  /** events.k8s.io/v1 `action`: what the operator did or observed. */
  action: string;
  message: string;
}

/** What only the pass knows. Every field describes an action taken in this pass, hence a transition. */
export interface PassFacts {
  finalizerAdded?: boolean;
  /** `Kind/name` of children created (not merely updated) in this pass. */
  created?: string[];
  /** `Kind/name` of obsolete children deleted in this pass. */
  deleted?: string[];
  /** The rendered config.yaml differs from the ConfigMap observed before the apply (`configDataChanged`). */
  configChanged?: boolean;
  /** PVCs patched to a larger size in this pass. */
  expandedVolumes?: string[];
  /** Deletion: the PerconaPGCluster this pass deleted (deleteWithServer) or orphaned. */
  perconaDeleted?: string;
  perconaOrphaned?: string;
  /** The operator's DittoFS account was created or taken over in this pass. */
  accountProvisioned?: boolean;
  /** The reference operator's StatefulSet this pass orphan-deleted to put ours in its place (takeover.ts). */
  replacedStatefulSet?: string;
  /** `<name>-file` deleted in this pass because the adapter Services replace it (also in `deleted`). */
  fileServiceRetired?: FileServiceRetirement;
}

function find(status: DittoServerStatus | undefined, type: string): Condition | undefined {
  return (status?.conditions)?.find((c) => c.type === type);
}

/** The condition moved to a different (status, reason) pair. */
function moved(prev: Condition | undefined, next: Condition | undefined): boolean {
  return next !== undefined && (prev?.status !== next.status || prev.reason !== next.reason);
}

const CONFIG_WARNINGS: Record<string, EventReason> = {
  [REASON.InvalidSpec]: EVENT.InvalidSpec,
  [REASON.SecretNotFound]: EVENT.SecretNotFound,
  [REASON.StorageClassNotFound]: EVENT.StorageClassNotFound,
  [REASON.StorageChangeRefused]: EVENT.StorageChangeRefused,
  [REASON.ApplyFailed]: EVENT.ReconcileFailed,
};

function short(hash: string | undefined): string {
  return hash ? hash.slice(0, 12) : "none";
}

function fromFacts(facts: PassFacts): EventSpec[] {
  const out: EventSpec[] = [];
  if (facts.finalizerAdded) out.push({ type: "Normal", reason: EVENT.FinalizerAdded, action: "AddFinalizer", message: "finalizer added; deletion will drain the file server first" });
  if (facts.created?.length) out.push({ type: "Normal", reason: EVENT.ChildrenCreated, action: "Create", message: `created ${facts.created.join(", ")}` });
  const retired = facts.fileServiceRetired;
  const deleted = facts.deleted?.filter((d) => d !== `Service/${retired?.service}`);
  if (deleted?.length) out.push({ type: "Normal", reason: EVENT.ChildrenDeleted, action: "Delete", message: `deleted ${deleted.join(", ")} (no longer in the spec)` });
  if (retired) {
    const by = retired.replacedBy.length ? `Service ${retired.replacedBy.join(", ")}` : "no Service (no adapter is enabled)";
    out.push({ type: "Normal", reason: EVENT.FileServiceRetired, action: "Delete", message: `deleted Service ${retired.service}: replaced by ${by}` });
  }
  if (facts.expandedVolumes?.length) {
    out.push({ type: "Normal", reason: EVENT.VolumeExpansionRequested, action: "ExpandVolume", message: `requested expansion of ${facts.expandedVolumes.join(", ")}` });
  }
  if (facts.replacedStatefulSet) {
    out.push({
      type: "Normal",
      reason: EVENT.StatefulSetReplaced,
      action: "Replace",
      message: `StatefulSet ${facts.replacedStatefulSet} of the reference operator deleted with propagation Orphan and its pod deleted; ours re-uses the same claims, mounted at the reference's paths (volume layout "reference")`,
    });
  }
  if (facts.perconaDeleted) out.push({ type: "Warning", reason: EVENT.PerconaDeleted, action: "Delete", message: `PerconaPGCluster ${facts.perconaDeleted} deleted with the server (deleteWithServer: true); its data is gone` });
  if (facts.perconaOrphaned) out.push({ type: "Normal", reason: EVENT.PerconaOrphaned, action: "Delete", message: `PerconaPGCluster ${facts.perconaOrphaned} kept (deleteWithServer: false); delete it yourself when its data is no longer needed` });
  if (facts.accountProvisioned) out.push({ type: "Normal", reason: EVENT.AccountProvisioned, action: "ProvisionAccount", message: "provisioned the operator's DittoFS account; its credentials are in the operator-credentials Secret" });
  return out;
}

/** Ready reasons that mean the server's API says it does not serve (adapters.ts `serving`). */
const NOT_SERVING: ReadonlySet<string> = new Set([REASON.ControlPlaneDatabaseUnreachable, REASON.NoAdapterEnabled, REASON.AdapterNotRunning, REASON.AdapterUnhealthy]);

const DELETION_STEPS: Record<string, EventSpec["type"]> = {
  [REASON.PodsTerminatingSlowly]: "Warning",
  [REASON.CleanupTimeout]: "Warning",
  [REASON.PodsTerminated]: "Normal",
};

/**
 * Deletion: its start, each step the Progressing condition moved to, and a failing step (Degraded turning to
 * ReconcileError). Derived from the status the pass wrote, so a restarted operator neither repeats nor skips one.
 */
function deletionEvents(prev: DittoServerStatus | undefined, next: DittoServerStatus): EventSpec[] {
  const out: EventSpec[] = [];
  if (prev?.phase !== "Deleting") out.push({ type: "Normal", reason: EVENT.Deleting, action: "Delete", message: "deletion started: waiting for the file server to stop" });
  const step = find(next, COND.Progressing);
  const type = step ? DELETION_STEPS[step.reason] : undefined;
  if (step && type && moved(find(prev, COND.Progressing), step)) out.push({ type, reason: step.reason as EventReason, action: "Delete", message: step.message });
  const degraded = find(next, COND.Degraded);
  if (degraded?.status === "True" && degraded.reason === REASON.ReconcileError && moved(find(prev, COND.Degraded), degraded)) {
    out.push({ type: "Warning", reason: EVENT.CleanupFailed, action: "Delete", message: `deletion step failed (retrying): ${degraded.message}` });
  }
  return out;
}

/** Events of one pass: facts first, then status transitions from `prev` to `next`. */
export function transitionEvents(prev: DittoServerStatus | undefined, next: DittoServerStatus, facts: PassFacts = {}): EventSpec[] {
  const out = fromFacts(facts);

  if (next.phase === "Deleting") return [...out, ...deletionEvents(prev, next)]; // during deletion only deletion events matter

  if (prev?.configHash !== undefined && next.configHash !== undefined && prev.configHash !== next.configHash) {
    out.push(
      facts.configChanged
        ? { type: "Normal", reason: EVENT.ConfigChanged, action: "Rollout", message: `configuration changed (${short(prev.configHash)} → ${short(next.configHash)}); rolling the pod` }
        : { type: "Normal", reason: EVENT.SecretRotated, action: "Rollout", message: `a consumed Secret changed (${short(prev.configHash)} → ${short(next.configHash)}); rolling the pod` },
    );
  }
  if (prev?.replicas !== undefined && next.replicas !== undefined && prev.replicas !== next.replicas) {
    out.push({ type: "Normal", reason: EVENT.Scaled, action: "Scale", message: next.replicas === 0 ? "scaled to 0: stopping the file server" : `scaled from ${prev.replicas} to ${next.replicas}` });
  }

  const config = find(next, COND.ConfigReady);
  if (moved(find(prev, COND.ConfigReady), config) && config?.status === "False") {
    const reason = CONFIG_WARNINGS[config.reason];
    if (reason) out.push({ type: "Warning", reason, action: "Reconcile", message: config.message });
  }

  const prevDb = find(prev, COND.DatabaseReady);
  const db = find(next, COND.DatabaseReady);
  if (moved(prevDb, db) && db) {
    if (db.status === "True") out.push({ type: "Normal", reason: EVENT.PerconaReady, action: "ObserveDatabase", message: db.message });
    else if (db.reason === REASON.PerconaNotReady) out.push({ type: "Warning", reason: EVENT.PerconaNotReady, action: "ObserveDatabase", message: db.message });
    else if (db.reason === REASON.PerconaCRDMissing) out.push({ type: "Warning", reason: EVENT.PerconaCRDMissing, action: "ObserveDatabase", message: db.message });
  }

  const policies = find(next, COND.SnapshotPoliciesReady);
  if (moved(find(prev, COND.SnapshotPoliciesReady), policies) && policies?.status === "False" && policies.reason !== REASON.SnapshotPolicyPending) {
    out.push({ type: "Warning", reason: EVENT.SnapshotPolicyFailed, action: "SyncSnapshotPolicies", message: policies.message });
  }
  const stores = find(next, COND.StoresReady);
  if (moved(find(prev, COND.StoresReady), stores) && stores?.status === "False" && stores.reason !== REASON.StorePending) {
    out.push({ type: "Warning", reason: EVENT.StoreFailed, action: "SyncStores", message: stores.message });
  }

  const prevAvail = find(prev, COND.Available);
  const avail = find(next, COND.Available);
  if (avail && prevAvail?.status !== avail.status) {
    if (avail.status === "True" && avail.reason === REASON.MinimumReplicasAvailable) {
      out.push({ type: "Normal", reason: EVENT.Available, action: "ObservePods", message: avail.message });
    } else if (avail.status === "False" && prevAvail?.status === "True") {
      const rolling = find(next, COND.Progressing)?.status === "True";
      out.push({ type: "Warning", reason: EVENT.Unavailable, action: "ObservePods", message: rolling ? `${avail.message} (expected while the pod is replaced)` : avail.message });
    }
  }

  const ready = find(next, COND.Ready);
  if (ready?.status === "False" && NOT_SERVING.has(ready.reason) && moved(find(prev, COND.Ready), ready)) {
    out.push({ type: "Warning", reason: EVENT.NotServing, action: "ObserveAdapters", message: ready.message });
  }
  const auth = find(next, COND.Authenticated);
  if (auth?.status === "False" && auth.reason === REASON.AuthenticationFailed && moved(find(prev, COND.Authenticated), auth)) {
    out.push({ type: "Warning", reason: EVENT.AuthenticationFailed, action: "Authenticate", message: auth.message });
  }

  const prevProg = find(prev, COND.Progressing);
  const prog = find(next, COND.Progressing);
  if (moved(prevProg, prog) && prog) {
    if (prog.reason === REASON.PodFailing) out.push({ type: "Warning", reason: EVENT.PodFailing, action: "ObservePods", message: prog.message });
    else if (prog.reason === REASON.RolloutComplete && prevProg?.status === "True") {
      out.push({ type: "Normal", reason: EVENT.RolloutComplete, action: "Rollout", message: prog.message });
    }
  }
  return out;
}
