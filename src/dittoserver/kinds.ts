/**
 * The resource types the DittoServer controller reads and writes, and the operator's own tunables (flags beyond
 * the generic manager flags). Kept apart from the reconciler so the controller wiring and tests share one list.
 */
import { GROUP, KIND, PLURAL, VERSION } from "../api/constants.ts";
import type { ResourceType } from "../runtime/resources.ts";
import { DEFAULT_CLUSTER_DOMAIN } from "./observe.ts";
import { PERCONA_KIND } from "./percona.ts";
import { DEFAULT_UNSCHEDULABLE_GRACE_MS, DEFAULT_VOLUME_BINDING_GRACE_MS } from "./status.ts";

export const DITTOSERVERS: ResourceType = { group: GROUP, version: VERSION, plural: PLURAL, kind: KIND, namespaced: true };
export const PERCONA_CLUSTERS: ResourceType = { group: "pgv2.percona.com", version: "v2", plural: "perconapgclusters", kind: PERCONA_KIND, namespaced: true };
export const PERCONA_CRD = "perconapgclusters.pgv2.percona.com";
export const SERVICE_MONITORS: ResourceType = { group: "monitoring.coreos.com", version: "v1", plural: "servicemonitors", kind: "ServiceMonitor", namespaced: true };
export const SERVICE_MONITOR_CRD = "servicemonitors.monitoring.coreos.com";
export const STORAGE_CLASSES: ResourceType = { group: "storage.k8s.io", version: "v1", plural: "storageclasses", kind: "StorageClass", namespaced: false };
export const NETWORK_POLICIES: ResourceType = { group: "networking.k8s.io", version: "v1", plural: "networkpolicies", kind: "NetworkPolicy", namespaced: true };
export const PVCS: ResourceType = { group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true };

/** Tunables of the DittoServer controller; every duration in ms. */
export interface OperatorOptions {
  /** DNS suffix of in-cluster Service names (status.nfsEndpoint). */
  clusterDomain: string;
  /** Deletion: a Warning event when the pods are still there after this long (from deletionTimestamp). */
  deletionPodWarningMs: number;
  /** Deletion: stop waiting for the pods after this long, say so in a Warning event, and go on. */
  deletionPodTimeoutMs: number;
  /** Periodic pass of a settled server (drift repair). */
  resyncMs: number;
  /** Pass interval while something is in flight (database, pod, rollout) — watches usually come first. */
  pollMs: number;
  /** The status reports an unschedulable pod once the scheduler has refused it this long. */
  unschedulableGraceMs: number;
  /** …or this long when it waits only for its claims to bind (provisioning is progress, not a fault). */
  volumeBindingGraceMs: number;
  /**
   * The namespace the operator runs in (from `POD_NAMESPACE`), for rules that let the operator in, such as the
   * NetworkPolicies' API port; undefined when run outside a pod (`npm start -- --kubeconfig`).
   */
  operatorNamespace?: string;
}

export const OPERATOR_DEFAULTS: OperatorOptions = {
  clusterDomain: DEFAULT_CLUSTER_DOMAIN,
  deletionPodWarningMs: 30_000,
  deletionPodTimeoutMs: 60_000,
  resyncMs: 10 * 60_000,
  pollMs: 10_000,
  unschedulableGraceMs: DEFAULT_UNSCHEDULABLE_GRACE_MS,
  volumeBindingGraceMs: DEFAULT_VOLUME_BINDING_GRACE_MS,
};
