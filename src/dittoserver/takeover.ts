/**
 * Taking over a DittoServer the reference operator ran, as pure decisions: what of the cluster is the reference's
 * (its StatefulSet selector `{app: dittofs-server, instance: <name>}`, its labels, its NetworkPolicies) and which
 * writes turn it into ours without losing a byte.
 *
 * - The volume layout `reference` is recorded on the DittoServer first, so our pod mounts the claims where the
 *   server's stores were created (`VOLUME_LAYOUTS`).
 * - The StatefulSet selector is immutable: the reference's StatefulSet is deleted with propagation `Orphan` and a
 *   UID precondition (whatever its claims' retention policy, nothing it owns is garbage-collected with it), its pod
 *   is deleted, and ours is applied only once that pod is gone, with the same claim template names: the
 *   StatefulSet controller re-uses the PVCs.
 * - Services keep their names; server-side apply leaves the selector keys the reference's field manager owns, so
 *   they are removed by a merge patch (our pod does not carry them).
 * - The reference's NetworkPolicies are deleted before anything is applied; ours (when enabled) carry none of its
 *   labels.
 * - The JWT and admin Secrets have our names and keys already: they are kept as they are (the server's identity).
 */
import { FIELD_MANAGER } from "../api/constants.ts";
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import type { Write } from "./executor.ts";
import { DITTOSERVERS, NETWORK_POLICIES } from "./kinds.ts";
import { LABEL_MANAGED_BY } from "./labels.ts";
import { childNames, podName, VOLUME_LAYOUT_ANNOTATION } from "./names.ts";
import { volumeLayoutName } from "./volume-layout.ts";

/** The reference's pod labels, which are also its StatefulSet and Service selector. */
export function referenceSelector(serverName: string): Record<string, string> {
  return { app: "dittofs-server", instance: serverName };
}

/** Labels the reference put on its children besides the selector; nothing here reads them. */
export const REFERENCE_LABEL_KEYS = [
  "dittofs.io/metrics-service",
  "dittofs.io/adapter-service",
  "dittofs.io/adapter-type",
  "dittofs.io/baseline-networkpolicy",
  "dittofs.io/adapter-networkpolicy",
] as const;

/** The reference's record of the annotations it manages on adapter Services. */
const REFERENCE_SERVICE_ANNOTATION = "dittofs.io/managed-annotations";
/** Its auth back-off counter on the DittoServer; our API pass keeps its own state. */
const REFERENCE_SERVER_ANNOTATION = "dittofs.dittofs.com/auth-retry-count";
/** The reference names one NetworkPolicy per adapter type it saw running. */
const REFERENCE_ADAPTER_TYPES = ["nfs", "smb"] as const;

type Json = Record<string, unknown>;

function selectorOf(obj: KubeObject | undefined, path: "statefulSet" | "service"): Json {
  const spec = (obj?.spec ?? {}) as Json;
  const selector = (spec.selector ?? {}) as Json;
  return (path === "statefulSet" ? selector.matchLabels ?? {} : selector) as Json;
}

/** Does `labels` carry the reference's selector for `serverName`? */
function hasReferenceSelector(labels: Json, serverName: string): boolean {
  return Object.entries(referenceSelector(serverName)).every(([k, v]) => labels[k] === v);
}

/** The StatefulSet is the reference's: its immutable selector is exactly the reference's. */
export function isReferenceStatefulSet(sts: KubeObject | undefined, serverName: string): sts is KubeObject {
  const labels = selectorOf(sts, "statefulSet");
  return sts !== undefined && Object.keys(labels).length === 2 && hasReferenceSelector(labels, serverName);
}

/** Names of the NetworkPolicies the reference may have made for a server (baseline, one per adapter type). */
export function referenceNetworkPolicyNames(serverName: string): string[] {
  return [`${serverName}-baseline`, ...REFERENCE_ADAPTER_TYPES.map((type) => `${serverName}-adapter-${type}`)];
}

/** What the reconciler reads from the API server while a takeover is underway (the cache holds none of it). */
export interface TakeoverObservation {
  /** Pod `<name>-0`: the reference's pod carries none of our labels, so our pod watch does not see it. */
  pod?: KubeObject;
  /** The objects named by `referenceNetworkPolicyNames` that exist (read only while the StatefulSet is the reference's). */
  networkPolicies: KubeObject[];
}

/**
 * Must the reconciler read a `TakeoverObservation` this pass? While the cached StatefulSet is the reference's, and
 * after it went while our StatefulSet does not exist yet on a server with the reference's volume layout.
 */
export function takeoverUnderway(server: DittoServer, sts: KubeObject | undefined): { pod: boolean; networkPolicies: boolean } {
  const name = server.metadata.name ?? "";
  const reference = isReferenceStatefulSet(sts, name);
  return { pod: reference || (sts === undefined && volumeLayoutName(server) === "reference"), networkPolicies: reference && !sts.metadata.deletionTimestamp };
}

export interface TakeoverPlan {
  /** Before any apply: the volume layout recorded on the DittoServer, the reference's NetworkPolicies deleted. */
  first: Write[];
  /** After the applies: selector keys stripped from Services, the reference's StatefulSet and pod deleted. */
  last: Write[];
  /** Set while our StatefulSet must not be applied; says why (the Progressing message). */
  hold?: string;
}

function ref(server: DittoServer, name: string): { namespace: string; name: string } {
  return { namespace: server.metadata.namespace ?? "", name };
}

function deleteWrite(server: DittoServer, res: Write["resource"], obj: KubeObject, step: string): Extract<Write, { op: "delete" }> {
  return { op: "delete", resource: res, ref: ref(server, obj.metadata.name ?? ""), preconditions: { uid: obj.metadata.uid ?? "" }, step, tolerate: ["NotFound"] };
}

/** Merge patch removing the reference's selector, labels and annotation from one of our Services; undefined when clean. */
export function serviceCleanup(service: KubeObject, serverName: string): Json | undefined {
  const selector = selectorOf(service, "service");
  if (!hasReferenceSelector(selector, serverName)) return undefined;
  const reference = referenceSelector(serverName);
  const labels = (service.metadata.labels ?? {}) as Json;
  const labelPatch: Json = {};
  for (const [k, v] of Object.entries(reference)) if (labels[k] === v) labelPatch[k] = null;
  for (const k of REFERENCE_LABEL_KEYS) if (k in labels) labelPatch[k] = null;
  const patch: Json = { spec: { selector: Object.fromEntries(Object.keys(reference).map((k) => [k, null])) } };
  const metadata: Json = {};
  if (Object.keys(labelPatch).length > 0) metadata.labels = labelPatch;
  if (service.metadata.annotations?.[REFERENCE_SERVICE_ANNOTATION] !== undefined) metadata.annotations = { [REFERENCE_SERVICE_ANNOTATION]: null };
  if (Object.keys(metadata).length > 0) patch.metadata = metadata;
  return patch;
}

function isReferenceNetworkPolicy(policy: KubeObject, serverName: string): boolean {
  const labels = (policy.metadata.labels ?? {}) as Json;
  return hasReferenceSelector(labels, serverName) && REFERENCE_LABEL_KEYS.some((k) => labels[k] === "true");
}

/**
 * The writes of a takeover this pass. `sts` is the cached StatefulSet `<name>`, `services` the cached Services the
 * server owns, `seen` what the reconciler read (see `takeoverUnderway`); no reference object → no writes.
 */
export function planTakeover(server: DittoServer, sts: KubeObject | undefined, services: readonly KubeObject[], seen: TakeoverObservation | undefined): TakeoverPlan {
  const name = server.metadata.name ?? "";
  const plan: TakeoverPlan = { first: [], last: [] };
  const reference = isReferenceStatefulSet(sts, name);

  if (reference && server.metadata.annotations?.[VOLUME_LAYOUT_ANNOTATION] === undefined) {
    plan.first.push({
      op: "mergePatch",
      resource: DITTOSERVERS,
      ref: ref(server, name),
      patch: { metadata: { annotations: { [VOLUME_LAYOUT_ANNOTATION]: "reference", [REFERENCE_SERVER_ANNOTATION]: null } } },
      step: `record volume layout "reference" on DittoServer ${name}`,
    });
  }
  for (const policy of seen?.networkPolicies ?? []) {
    if (isReferenceNetworkPolicy(policy, name) && !policy.metadata.deletionTimestamp) {
      plan.first.push(deleteWrite(server, NETWORK_POLICIES, policy, `delete NetworkPolicy ${policy.metadata.name ?? ""} of the reference operator`));
    }
  }

  for (const service of services) {
    const patch = serviceCleanup(service, name);
    if (patch) plan.last.push({ op: "mergePatch", resource: CORE.services, ref: ref(server, service.metadata.name ?? ""), patch, step: `remove the reference operator's selector from Service ${service.metadata.name ?? ""}` });
  }

  if (reference) {
    if (!sts.metadata.deletionTimestamp) {
      plan.last.push({
        ...deleteWrite(server, CORE.statefulSets, sts, `orphan-delete StatefulSet ${name} of the reference operator`),
        propagationPolicy: "Orphan",
        fact: { replacedStatefulSet: name },
      });
    }
    plan.hold = `StatefulSet ${name} of the reference operator is being replaced (deleted with propagation Orphan: its claims stay)`;
  }
  const pod = seen?.pod;
  if (pod && pod.metadata.labels?.[LABEL_MANAGED_BY] !== FIELD_MANAGER) {
    const pending = hasReferenceSelector((pod.metadata.labels ?? {}), name);
    if (pending && !pod.metadata.deletionTimestamp) plan.last.push(deleteWrite(server, CORE.pods, pod, `delete pod ${podName(name)} of the reference operator`));
    plan.hold ??= `waiting for pod ${podName(name)}${pending ? " of the reference operator" : ", which is not ours,"} to terminate before StatefulSet ${childNames(name).statefulSet} is created`;
  }
  return plan;
}
