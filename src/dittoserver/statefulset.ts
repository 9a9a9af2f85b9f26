/**
 * The StatefulSet `<name>` running the file server, and the comparison of its immutable parts with the one
 * already in the cluster: the reconciler must never send a changed volumeClaimTemplate (the API server rejects
 * every such update, which wedged the reference operator); it expands PVCs directly instead.
 */
import { terminationGracePeriodSeconds } from "../api/derived.ts";
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { childMetadata, COMPONENTS, labelsFor, selectorLabels } from "./labels.ts";
import { CLAIMS, childNames, CONFIG_HASH_ANNOTATION } from "./names.ts";
import { dittofsContainer, volumePlan, waitForPostgresContainer } from "./pod.ts";
import type { Json } from "./pod.ts";
import { compareQuantities } from "./quantity.ts";
import { podSecurityContext } from "./security.ts";

function claimTemplate(name: string, size: string, storageClassName: string | undefined): Json {
  const spec: Json = { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } };
  if (storageClassName !== undefined) spec.storageClassName = storageClassName;
  return { metadata: { name }, spec };
}

/** Claim templates in a fixed order: metadata, [content], controlplane. */
export function volumeClaimTemplates(server: DittoServer): Json[] {
  const storage = server.spec.storage;
  const claims = [claimTemplate(CLAIMS.metadata, storage.metadataSize, storage.storageClassName)];
  if (storage.contentSize !== undefined) claims.push(claimTemplate(CLAIMS.content, storage.contentSize, storage.storageClassName));
  claims.push(claimTemplate(CLAIMS.controlPlane, storage.controlPlaneSize, storage.storageClassName));
  return claims;
}

function podTemplate(server: DittoServer, configHash: string): Json {
  const spec = server.spec;
  const plan = volumePlan(server);
  const init = waitForPostgresContainer(server);
  const podSpec: Json = {
    automountServiceAccountToken: false,
    // Service links would inject e.g. DITTOFS_METRICS_PORT=tcp://… for a Service named `dittofs-metrics`, which
    // the server's DITTOFS_* env binding reads as configuration.
    enableServiceLinks: false,
    securityContext: podSecurityContext(spec.podSecurityContext),
    terminationGracePeriodSeconds: terminationGracePeriodSeconds(spec),
  };
  if (spec.imagePullSecrets && spec.imagePullSecrets.length > 0) podSpec.imagePullSecrets = structuredClone(spec.imagePullSecrets);
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0) podSpec.nodeSelector = { ...spec.nodeSelector };
  if (spec.tolerations && spec.tolerations.length > 0) podSpec.tolerations = structuredClone(spec.tolerations);
  if (spec.affinity) podSpec.affinity = structuredClone(spec.affinity);
  if (spec.priorityClassName) podSpec.priorityClassName = spec.priorityClassName;
  if (init) podSpec.initContainers = [init];
  podSpec.containers = [dittofsContainer(server, plan.mounts)];
  podSpec.volumes = plan.volumes;
  return {
    metadata: {
      // User labels first: ours (and so the selector) always win.
      labels: { ...(spec.podLabels ?? {}), ...labelsFor(server, COMPONENTS.fileServer) },
      annotations: { ...(spec.podAnnotations ?? {}), [CONFIG_HASH_ANNOTATION]: configHash },
    },
    spec: podSpec,
  };
}

/**
 * Desired StatefulSet for server-side apply. `configHash` comes from `configHash()` over the rendered config
 * and consumed Secret values; when it changes the pod template changes and the pod rolls.
 */
export function desiredStatefulSet(server: DittoServer, configHash: string): KubeObject {
  const name = childNames(server.metadata.name ?? "").statefulSet;
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: childMetadata(server, name, COMPONENTS.fileServer),
    spec: {
      replicas: server.spec.replicas,
      serviceName: childNames(server.metadata.name ?? "").headlessService,
      selector: { matchLabels: selectorLabels(server) },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: podTemplate(server, configHash),
      volumeClaimTemplates: volumeClaimTemplates(server),
    },
  };
}

/** A claim whose requested size grew: the reconciler patches PVC `pvcName(server, claim)` to `to`. */
export interface ClaimExpansion {
  claim: string;
  from: string;
  to: string;
}

/** A claim-template change Kubernetes cannot apply; reported on the status, never sent. */
export interface ForbiddenStorageChange {
  claim: string;
  field: "presence" | "size" | "storageClassName" | "accessModes";
  message: string;
}

export interface StorageChanges {
  expansions: ClaimExpansion[];
  forbidden: ForbiddenStorageChange[];
}

interface ClaimView {
  size: string | undefined;
  storageClassName: string | undefined;
  accessModes: string;
}

function claimsOf(sts: KubeObject): Map<string, ClaimView> {
  const templates = ((sts.spec as Json | undefined)?.volumeClaimTemplates ?? []) as Json[];
  const out = new Map<string, ClaimView>();
  for (const template of templates) {
    const name = (template.metadata as Json | undefined)?.name as string | undefined;
    const spec = (template.spec ?? {}) as Json;
    const requests = ((spec.resources as Json | undefined)?.requests ?? {}) as Json;
    out.set(name ?? "", {
      size: requests.storage as string | undefined,
      storageClassName: spec.storageClassName as string | undefined,
      accessModes: JSON.stringify([...((spec.accessModes ?? []) as string[])].sort()),
    });
  }
  return out;
}

/**
 * Classifies the difference between the desired and the existing claim templates. A size growth is an
 * expansion; shrinking, a class change, a different access mode, or a claim added or removed is forbidden.
 * An existing template without a storage class is compared only when the desired one names a class
 * (the API server does not fill it in; the PVC got the default class).
 */
export function storageChanges(desired: KubeObject, existing: KubeObject): StorageChanges {
  const want = claimsOf(desired);
  const have = claimsOf(existing);
  const result: StorageChanges = { expansions: [], forbidden: [] };
  for (const [claim, w] of want) {
    const h = have.get(claim);
    if (!h) {
      result.forbidden.push({ claim, field: "presence", message: `volume ${claim} cannot be added to an existing StatefulSet` });
      continue;
    }
    if (w.storageClassName !== undefined && w.storageClassName !== h.storageClassName) {
      result.forbidden.push({
        claim,
        field: "storageClassName",
        message: `volume ${claim}: storageClassName cannot change from ${h.storageClassName ?? "(cluster default)"} to ${w.storageClassName}`,
      });
    }
    if (w.accessModes !== h.accessModes) {
      result.forbidden.push({ claim, field: "accessModes", message: `volume ${claim}: access modes cannot change from ${h.accessModes} to ${w.accessModes}` });
    }
    if (w.size !== undefined && h.size !== undefined) {
      const order = compareQuantities(w.size, h.size);
      if (order === 1) result.expansions.push({ claim, from: h.size, to: w.size });
      else if (order === -1) result.forbidden.push({ claim, field: "size", message: `volume ${claim} cannot shrink from ${h.size} to ${w.size}` });
      else if (order === undefined) result.forbidden.push({ claim, field: "size", message: `volume ${claim}: cannot compare size ${h.size} with ${w.size}` });
    }
  }
  for (const claim of have.keys()) {
    if (!want.has(claim)) result.forbidden.push({ claim, field: "presence", message: `volume ${claim} cannot be removed from an existing StatefulSet` });
  }
  return result;
}

/**
 * The desired StatefulSet with its claim templates replaced by the existing ones, so an apply never touches
 * the immutable list (identical values are not a change). Sizes move through PVC expansion instead.
 */
export function withExistingClaimTemplates(desired: KubeObject, existing: KubeObject | undefined): KubeObject {
  if (!existing) return desired;
  const templates = ((existing.spec as Json | undefined)?.volumeClaimTemplates ?? []) as Json[];
  const projected = templates.map((template) => {
    const spec = (template.spec ?? {}) as Json;
    const out: Json = { accessModes: structuredClone(spec.accessModes), resources: { requests: structuredClone(((spec.resources as Json | undefined)?.requests ?? {}) as Json) } };
    if (spec.storageClassName !== undefined) out.storageClassName = spec.storageClassName;
    return { metadata: { name: (template.metadata as Json | undefined)?.name }, spec: out };
  });
  return { ...desired, spec: { ...(desired.spec as Json), volumeClaimTemplates: projected } };
}

/** Map comparison independent of key order (the API server returns maps sorted). */
function sortedJson(map: unknown): string {
  return JSON.stringify(Object.entries((map ?? {}) as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Immutable StatefulSet fields other than claim templates that differ (e.g. an STS left by another operator). */
export function immutableFieldChanges(desired: KubeObject, existing: KubeObject): string[] {
  const d = (desired.spec ?? {}) as Json;
  const e = (existing.spec ?? {}) as Json;
  const changes: string[] = [];
  if (sortedJson((d.selector as Json | undefined)?.matchLabels) !== sortedJson((e.selector as Json | undefined)?.matchLabels)) {
    changes.push("spec.selector");
  }
  if (d.serviceName !== e.serviceName) changes.push("spec.serviceName");
  return changes;
}

/** JSON merge patch growing a PVC's request (only when its StorageClass has allowVolumeExpansion). */
export function pvcExpansionPatch(size: string): Json {
  return { spec: { resources: { requests: { storage: size } } } };
}
