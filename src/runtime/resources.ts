/**
 * Generic addressing of API resources by (group, version, plural, namespaced) and URL building.
 * Pure functions: no I/O.
 */

export interface ResourceType {
  /** API group, "" for the core group. */
  group: string;
  version: string;
  /** Lower-case plural used in URLs (`configmaps`). */
  plural: string;
  /** Kind of a single object (`ConfigMap`). */
  kind: string;
  namespaced: boolean;
}

export function apiVersionOf(res: Pick<ResourceType, "group" | "version">): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}

/** Split an `apiVersion` into group and version (`v1` → core group). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** A stable identifier of a resource type, for map keys and metric labels. */
export function resourceId(res: ResourceType): string {
  return res.group ? `${res.plural}.${res.group}` : res.plural;
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(res: Pick<ResourceType, "group" | "version">): string {
  return res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
}

/**
 * Path of a collection or of one object. `namespace` undefined on a namespaced resource means "all namespaces"
 * (only meaningful for list and watch).
 */
export function resourcePath(res: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let path = groupVersionPath(res);
  if (res.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${res.plural}`;
  if (name !== undefined) {
    if (name === "") throw new Error(`empty name for ${resourceId(res)}`);
    path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
  }
  return path;
}

/** Append query parameters, skipping undefined and empty-string values. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === "") continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Built-in kinds the runtime itself needs (and that tests and benchmarks use). */
export const CORE = {
  configMaps: { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true },
  secrets: { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
  services: { group: "", version: "v1", plural: "services", kind: "Service", namespaced: true },
  pods: { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true },
  namespaces: { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
  statefulSets: { group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true },
  leases: { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true },
  events: { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true },
  customResourceDefinitions: {
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;
