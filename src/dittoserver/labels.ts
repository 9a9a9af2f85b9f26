/**
 * Recommended `app.kubernetes.io/*` labels for every child, the stable selector of the file-server pod, and the
 * controller ownerReference that ties children to their DittoServer.
 */
import { API_VERSION, FIELD_MANAGER, KIND } from "../api/constants.ts";
import type { OwnerReference } from "../runtime/objects.ts";

export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const LABEL_PART_OF = "app.kubernetes.io/part-of";

export const APP_NAME = "dittofs";

/** What a child is for; the value of `app.kubernetes.io/component`. */
export const COMPONENTS = {
  fileServer: "file-server",
  config: "config",
  credentials: "credentials",
  api: "api",
  metrics: "metrics",
  fileService: "file-service",
  database: "database",
  networkPolicy: "network-policy",
} as const;
export type Component = (typeof COMPONENTS)[keyof typeof COMPONENTS];

/** Minimal identity of a DittoServer that labels and ownerReferences need. */
export interface ServerRef {
  metadata: { name?: string; namespace?: string; uid?: string };
}

function nameOf(server: ServerRef): string {
  const name = server.metadata.name;
  if (!name) throw new Error("DittoServer has no metadata.name");
  return name;
}

/** Full label set of a child. */
export function labelsFor(server: ServerRef, component: Component): Record<string, string> {
  return {
    [LABEL_NAME]: APP_NAME,
    [LABEL_INSTANCE]: nameOf(server),
    [LABEL_COMPONENT]: component,
    [LABEL_MANAGED_BY]: FIELD_MANAGER,
    [LABEL_PART_OF]: APP_NAME,
  };
}

/**
 * Labels selecting the file-server pod. A StatefulSet selector is immutable, so this subset never contains
 * anything that could change over the life of the DittoServer (no version, no user labels).
 */
export function selectorLabels(server: ServerRef): Record<string, string> {
  return {
    [LABEL_NAME]: APP_NAME,
    [LABEL_INSTANCE]: nameOf(server),
    [LABEL_COMPONENT]: COMPONENTS.fileServer,
  };
}

/** Labels the reconciler can put on a watch to see only objects of all DittoServers (a label selector string). */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`;

/** Controller ownerReference to the DittoServer: garbage collection and `Owns` mapping rely on it. */
export function ownerReference(server: ServerRef): OwnerReference {
  const uid = server.metadata.uid;
  if (!uid) throw new Error(`DittoServer ${nameOf(server)} has no metadata.uid (not read from the API server?)`);
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: nameOf(server),
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Standard metadata of a namespaced child: name, namespace, labels, controller ownerReference. */
export function childMetadata(
  server: ServerRef,
  name: string,
  component: Component,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string>; owned?: boolean } = {},
): {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
} {
  const namespace = server.metadata.namespace;
  if (!namespace) throw new Error(`DittoServer ${nameOf(server)} has no metadata.namespace`);
  // Our labels win over user-supplied ones: selectors and watches depend on them.
  const meta: ReturnType<typeof childMetadata> = {
    name,
    namespace,
    labels: { ...(extra.labels ?? {}), ...labelsFor(server, component) },
  };
  if (extra.annotations && Object.keys(extra.annotations).length > 0) meta.annotations = { ...extra.annotations };
  if (extra.owned ?? true) meta.ownerReferences = [ownerReference(server)];
  return meta;
}
