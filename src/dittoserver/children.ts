/**
 * The child kinds of a DittoServer, each declared once. The controller's watches, the observation of a pass, the
 * writes `planPass` plans (apply in this order, delete what is no longer desired) and the RBAC test derive from
 * this list. Adding a kind = its builder + one line here + its rule in deploy/base/cluster-role.yaml.
 *
 * Generated Secrets are not here: they are created once and never applied (`secrets.ts`), and Secrets are watched
 * as inputs (referenced by name), like StorageClasses and Pods (see controller.ts).
 */
import type { DittoServer } from "../api/types.ts";
import type { AdapterView } from "./adapters.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import type { ResourceType } from "../runtime/resources.ts";
import { desiredConfigMap } from "./config.ts";
import { NETWORK_POLICIES, PERCONA_CLUSTERS, PERCONA_CRD, SERVICE_MONITOR_CRD, SERVICE_MONITORS } from "./kinds.ts";
import { childNames } from "./names.ts";
import { adapterServiceChildren, adapterServiceNames } from "./file-service.ts";
import { adapterPolicyNames, desiredAdapterPolicies, desiredBaselinePolicy } from "./network-policies.ts";
import { desiredPerconaCluster } from "./percona.ts";
import { desiredServiceMonitor, desiredServices } from "./services.ts";

/** What a builder may use besides the DittoServer; decided by `planPass` before any child is built. */
export interface BuildContext {
  /** The rendered config.yaml. */
  config: string;
  /** The StatefulSet to apply this pass; undefined while it is withheld (blocked, or waiting for the database). */
  statefulSet?: KubeObject;
  /** The server's adapters as its API last reported them; undefined = not known yet (see `AdapterView`). */
  adapters?: AdapterView;
  /** `OperatorOptions.operatorNamespace`: where the operator runs, when it runs in a pod. */
  operatorNamespace?: string;
  /** Whether the cache holds this server's child `name` of type `res` (for a handover between children). */
  has?: (res: ResourceType, name: string) => boolean;
}

export interface ChildKind {
  resource: ResourceType;
  /** CRD name when the kind is optional: watched, observed and written only while the CRD is served. */
  optionalCrd?: string;
  /**
   * How a child's events reach its DittoServer: its controller ownerReference, or our labels (a child that can
   * outlive its ownerReference, like an orphaned database).
   */
  linkedBy: "owner" | "label";
  /** Every name a child of this kind of `server` can have (what a pass observes, and may delete). */
  names(server: DittoServer): string[];
  /** The children of this kind `server` wants, complete for server-side apply; [] = none. */
  build(server: DittoServer, ctx: BuildContext): KubeObject[];
  /** A child of this kind that `server` owns but no longer wants is deleted (never for kinds that hold data). */
  prune: boolean;
  /**
   * Built from the adapter list (`ctx.adapters`): while it is not known, children of this kind are left as they
   * are, neither applied nor pruned (an unreachable API must not delete a Service that carries traffic).
   * A function says whether `server` wants children of this kind at all: when it does not (turned off in the spec),
   * the list is not needed, and existing ones are pruned at once.
   */
  needsAdapters?: true | ((server: DittoServer) => boolean);
}

const some = (obj: KubeObject | undefined): KubeObject[] => (obj ? [obj] : []);
const names = (server: DittoServer): ReturnType<typeof childNames> => childNames(server.metadata.name ?? "");

/** Whether a pass knows enough to build (and prune) children of `kind` for `server`. */
export function known(kind: ChildKind, ctx: BuildContext, server: DittoServer): boolean {
  if (!kind.needsAdapters || ctx.adapters !== undefined) return true;
  return kind.needsAdapters !== true && !kind.needsAdapters(server);
}

/** In apply order: the StatefulSet last, once everything its pod reads is in place. */
export const CHILD_KINDS: readonly ChildKind[] = [
  { resource: CORE.configMaps, linkedBy: "owner", names: (s) => [names(s).configMap], build: (s, ctx) => [desiredConfigMap(s, ctx.config)], prune: false },
  {
    resource: CORE.services,
    linkedBy: "owner",
    names: (s) => [names(s).headlessService, names(s).apiService, names(s).metricsService],
    build: (s) => desiredServices(s),
    prune: true,
  },
  // One Service per enabled adapter; it also retires `<name>-file` (file-service.ts).
  { resource: CORE.services, linkedBy: "owner", needsAdapters: true, names: adapterServiceNames, build: adapterServiceChildren, prune: true },
  // The baseline before the adapter policies: alone it allows everything the server opens with its seeded settings.
  { resource: NETWORK_POLICIES, linkedBy: "owner", names: (s) => [names(s).baselinePolicy], build: (s, ctx) => some(desiredBaselinePolicy(s, ctx.operatorNamespace)), prune: true },
  {
    resource: NETWORK_POLICIES,
    linkedBy: "owner",
    names: adapterPolicyNames,
    build: (s, ctx) => (ctx.adapters ? desiredAdapterPolicies(s, ctx.adapters) : []),
    prune: true,
    needsAdapters: (s) => s.spec.networkPolicy.enabled,
  },
  { resource: SERVICE_MONITORS, optionalCrd: SERVICE_MONITOR_CRD, linkedBy: "owner", names: (s) => [names(s).serviceMonitor], build: (s) => some(desiredServiceMonitor(s)), prune: true },
  // Found by label: with deleteWithServer false the cluster may already be orphaned. Never pruned: it holds the data.
  { resource: PERCONA_CLUSTERS, optionalCrd: PERCONA_CRD, linkedBy: "label", names: (s) => [names(s).perconaCluster], build: (s) => some(desiredPerconaCluster(s)), prune: false },
  { resource: CORE.statefulSets, linkedBy: "owner", names: (s) => [names(s).statefulSet], build: (_s, ctx) => some(ctx.statefulSet), prune: false },
];

/** Owned children that may exist from an earlier spec and must go when the spec no longer wants them. */
export function obsoleteChildren(server: DittoServer, ctx: BuildContext = { config: "" }): { resource: ResourceType; kind: string; name: string }[] {
  const out: { resource: ResourceType; kind: string; name: string }[] = [];
  for (const kind of CHILD_KINDS) {
    if (!kind.prune || !known(kind, ctx, server)) continue;
    const wanted = new Set(kind.build(server, ctx).map((o) => o.metadata.name));
    for (const name of kind.names(server)) if (!wanted.has(name)) out.push({ resource: kind.resource, kind: kind.resource.kind, name });
  }
  return out;
}
