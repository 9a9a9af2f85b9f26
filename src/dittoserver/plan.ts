/**
 * One reconcile pass as a pure function: from the DittoServer and what the reconciler read from its cache to the
 * ordered writes of the pass (`executor.ts` performs them), plus the facts `computeStatus` needs.
 *
 * Order of writes: generated Secrets (created once, missing keys added) → every child kind of `CHILD_KINDS` in
 * its order (applied only when it differs from the cached copy: `needsApply`) → PVC expansions → deletion of
 * owned children the spec no longer wants. The status is written after them, from what they did.
 */
import { effectiveDatabase } from "../api/derived.ts";
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { CORE } from "../runtime/resources.ts";
import type { ResourceType } from "../runtime/resources.ts";
import { CHILD_KINDS, known } from "./children.ts";
import type { BuildContext, ChildKind } from "./children.ts";
import { configDataChanged, renderConfig } from "./config.ts";
import { firstDifference, needsApply, withAppliedHash } from "./drift.ts";
import type { Write } from "./executor.ts";
import { configHash } from "./hash.ts";
import type { AdapterView } from "./adapters.ts";
import { PVCS } from "./kinds.ts";
import { childNames, nameProblems, pvcName } from "./names.ts";
import { perconaReady } from "./percona.ts";
import { desiredAdminSecret, desiredJwtSecret, generatedSecretAction, ADMIN_PASSWORD_BYTES, JWT_SECRET_BYTES } from "./secrets.ts";
import type { GeneratedSecretAction } from "./secrets.ts";
import { consumedSecrets, referencedSecrets } from "./secretrefs.ts";
import type { MissingSecret } from "./secretrefs.ts";
import { desiredStatefulSet, immutableFieldChanges, pvcExpansionPatch, storageChanges, withExistingClaimTemplates } from "./statefulset.ts";
import type { ClaimExpansion, ForbiddenStorageChange } from "./statefulset.ts";
import type { PerconaObservation, StatusInput } from "./status.ts";
import { blockingProblems } from "./status.ts";
import { planTakeover } from "./takeover.ts";
import type { TakeoverObservation } from "./takeover.ts";
import { volumeLayoutProblems } from "./volume-layout.ts";

/** What the reconciler read before writing anything. */
export interface Observed {
  /** Every Secret named by `referencedSecretNames(server)`; a missing entry or undefined = absent. */
  secrets: ReadonlyMap<string, KubeObject | undefined>;
  /** The server's children the cache holds, of every kind in `CHILD_KINDS` (looked up by kind and name). */
  children?: readonly KubeObject[];
  /** CRDs of optional child kinds that are not served: those kinds are neither written nor deleted. */
  unservedCrds?: ReadonlySet<string>;
  /** Required when `spec.percona.enabled`. */
  percona?: PerconaObservation;
  /** Names from `spec.storage.storageClassName` / `spec.percona.storageClassName` that do not exist. */
  missingStorageClasses?: string[];
  /** StorageClass names (of our PVCs) whose `allowVolumeExpansion` is true; `""` for the cluster default. */
  expandableClasses?: ReadonlySet<string>;
  /** The PVCs `claimsToExpand` named, read from the API server (PVCs are not cached); undefined = absent. */
  claims?: ReadonlyMap<string, KubeObject | undefined>;
  /** The server's adapters as its API last reported them; undefined = not known yet. */
  adapters?: AdapterView;
  /** `OperatorOptions.operatorNamespace`. */
  operatorNamespace?: string;
  /** What was read live while a takeover from the reference operator is underway (`takeoverUnderway`). */
  takeover?: TakeoverObservation;
}

export interface PassPlan {
  /** Every write of the pass, in order (only what differs from what the cache holds). */
  writes: Write[];
  /** The children this pass wants, stamped with their applied hash (written or not). */
  desired: KubeObject[];
  specProblems: string[];
  config: string;
  configChanged: boolean;
  configHash: string;
  /** PVC name → new size; only growths whose class allows expansion. */
  pvcExpansions: { pvc: string; expansion: ClaimExpansion }[];
  /** PVCs whose requested expansion the volume has not reached yet. */
  expandingVolumes: string[];
  missingSecrets: MissingSecret[];
  forbiddenStorageChanges: ForbiddenStorageChange[];
  immutableChanges: string[];
  /** Set while the reference operator's StatefulSet is being replaced: ours is withheld, this says why. */
  replacingStatefulSet?: string;
}

/** Random bytes for generated Secrets; only read when a Secret has to be created. */
export interface Entropy {
  jwt: Uint8Array;
  admin: Uint8Array;
}

export const ENTROPY_BYTES = { jwt: JWT_SECRET_BYTES, admin: ADMIN_PASSWORD_BYTES } as const;

interface GeneratedSecret {
  desired: KubeObject;
  seen: KubeObject | undefined;
  action: GeneratedSecretAction;
}

/**
 * The Secrets as they will be once this pass's generated-Secret writes land. The hash must see those values,
 * or the pod would roll a second time on the next pass.
 */
function secretsAfterWrites(observed: Observed, generated: readonly GeneratedSecret[]): Map<string, KubeObject | undefined> {
  const secrets = new Map(observed.secrets);
  for (const { desired, seen, action } of generated) {
    const name = desired.metadata.name ?? "";
    if (action.action === "create") secrets.set(name, action.object);
    else if (action.action === "addKeys" && seen) secrets.set(name, { ...seen, data: { ...(seen.data as object), ...action.patch.data } });
  }
  return secrets;
}

/** The cached copy of a child (by kind and name). */
export function observedChild(observed: Observed, res: ResourceType, name: string): KubeObject | undefined {
  return observed.children?.find((o) => o.kind === res.kind && o.metadata.name === name && (o.apiVersion === res.version || o.apiVersion === `${res.group}/${res.version}`));
}

function served(kind: ChildKind, observed: Observed): boolean {
  return !kind.optionalCrd || !observed.unservedCrds?.has(kind.optionalCrd);
}

function ref(server: DittoServer, name: string): { namespace: string; name: string } {
  return { namespace: server.metadata.namespace ?? "", name };
}

function secretWrite(server: DittoServer, action: GeneratedSecretAction, desired: KubeObject): Write | undefined {
  const name = desired.metadata.name ?? "";
  if (action.action === "create") return { op: "create", resource: CORE.secrets, object: action.object, step: `create Secret ${name}`, tolerate: ["AlreadyExists"], fact: { created: `Secret/${name}` } };
  if (action.action === "addKeys") return { op: "mergePatch", resource: CORE.secrets, ref: ref(server, name), patch: action.patch, step: `add keys ${action.keys.join(",")} to Secret ${name}` };
  return undefined;
}

/** The PVCs whose expansion a pass of `server` may request: the reconciler reads them from the API first. */
export function claimsToExpand(server: DittoServer, observed: Observed): string[] {
  const existing = observedChild(observed, CORE.statefulSets, childNames(server.metadata.name ?? "").statefulSet);
  if (!existing || !observed.expandableClasses?.has(server.spec.storage.storageClassName ?? "")) return [];
  // The claim templates do not depend on the config hash.
  return storageChanges(desiredStatefulSet(server, ""), existing).expansions.map((e) => pvcName(server.metadata.name ?? "", e.claim));
}

export function planPass(server: DittoServer, observed: Observed, entropy: Entropy): PassPlan {
  const name = server.metadata.name ?? "";
  const specProblems = [...nameProblems(name), ...volumeLayoutProblems(server)];
  const cachedSts = observedChild(observed, CORE.statefulSets, childNames(name).statefulSet);
  const ownedServices = (observed.children ?? []).filter((o) => o.kind === "Service" && o.metadata.ownerReferences?.some((r) => r.uid === server.metadata.uid));
  const takeover = planTakeover(server, cachedSts, ownedServices, observed.takeover);
  const writes: Write[] = [...takeover.first];

  const generated: GeneratedSecret[] = [];
  for (const desired of [desiredJwtSecret(server, entropy.jwt), desiredAdminSecret(server, entropy.admin)]) {
    if (!desired) continue;
    const seen = observed.secrets.get(desired.metadata.name ?? "");
    const action = generatedSecretAction(desired, seen);
    generated.push({ desired, seen, action });
    const write = secretWrite(server, action, desired);
    if (write) writes.push(write);
  }
  const secrets = secretsAfterWrites(observed, generated);

  const config = renderConfig(server);
  const consumed = consumedSecrets(referencedSecrets(server), secrets);
  const hash = configHash(config, consumed.hashValues);

  let desiredSts = desiredStatefulSet(server, hash);
  // While the reference's StatefulSet is replaced, ours is built as new: nothing of its immutable spec carries over.
  const existing = takeover.hold ? undefined : cachedSts;
  const storage = existing ? storageChanges(desiredSts, existing) : { expansions: [], forbidden: [] };
  const immutableChanges = existing ? immutableFieldChanges(desiredSts, existing) : [];
  desiredSts = withExistingClaimTemplates(desiredSts, existing);

  const className = server.spec.storage.storageClassName ?? "";
  const expandable = observed.expandableClasses?.has(className) ?? false;
  const forbidden = [...storage.forbidden];
  const pvcExpansions: PassPlan["pvcExpansions"] = [];
  for (const expansion of storage.expansions) {
    if (expandable) pvcExpansions.push({ pvc: pvcName(name, expansion.claim), expansion });
    else {
      forbidden.push({
        claim: expansion.claim,
        field: "size",
        message: `volume ${expansion.claim} cannot grow from ${expansion.from} to ${expansion.to}: StorageClass ${className || "(cluster default)"} does not allow volume expansion`,
      });
    }
  }

  const missingSecrets = consumed.missing;
  const statusProbe: StatusInput = {
    server,
    now: 0,
    specProblems,
    missingSecrets,
    missingStorageClasses: observed.missingStorageClasses,
    forbiddenStorageChanges: forbidden,
    immutableChanges,
    percona: observed.percona,
  };
  const blocked = blockingProblems(statusProbe).length > 0;
  const database = effectiveDatabase(server.spec);
  const waitForDatabase =
    !existing &&
    database.type === "postgres" &&
    database.source === "percona" &&
    !(observed.percona?.kind === "present" && perconaReady(observed.percona.cluster) && !missingSecrets.some((m) => m.source === "percona"));

  const ctx: BuildContext = {
    config,
    ...(blocked || waitForDatabase || takeover.hold ? {} : { statefulSet: desiredSts }),
    ...(observed.adapters ? { adapters: observed.adapters } : {}),
    ...(observed.operatorNamespace ? { operatorNamespace: observed.operatorNamespace } : {}),
    has: (res, childName) => observedChild(observed, res, childName) !== undefined,
  };
  const desired: KubeObject[] = [];
  const deletes: Write[] = [];
  for (const kind of CHILD_KINDS) {
    if (!served(kind, observed) || !known(kind, ctx, server)) continue;
    const built = kind.build(server, ctx).map(withAppliedHash);
    for (const child of built) {
      desired.push(child);
      const childName = child.metadata.name ?? "";
      const seen = observedChild(observed, kind.resource, childName);
      if (!needsApply(child, seen)) continue;
      writes.push({
        op: "apply",
        resource: kind.resource,
        object: child,
        step: `apply ${child.kind} ${childName}`,
        ...(seen ? { why: firstDifference(seen, child) } : { fact: { created: `${child.kind}/${childName}` } }),
      });
    }
    if (!kind.prune) continue;
    const wanted = new Set(built.map((o) => o.metadata.name));
    for (const childName of kind.names(server)) {
      const seen = observedChild(observed, kind.resource, childName);
      if (wanted.has(childName) || !seen?.metadata.ownerReferences?.some((r) => r.uid === server.metadata.uid)) continue;
      deletes.push({ op: "delete", resource: kind.resource, ref: ref(server, childName), step: `delete ${kind.resource.kind} ${childName}`, tolerate: ["NotFound"], fact: { deleted: `${kind.resource.kind}/${childName}` } });
    }
  }

  const expansions = blocked ? [] : pvcExpansions;
  const expandingVolumes: string[] = [];
  for (const { pvc, expansion } of expansions) {
    const claim = observed.claims?.get(pvc);
    if (!claim) continue; // the StatefulSet controller creates it from the template
    const spec = claim.spec as { resources?: { requests?: { storage?: string } } } | undefined;
    const status = claim.status as { capacity?: { storage?: string } } | undefined;
    if (spec?.resources?.requests?.storage !== expansion.to) {
      writes.push({ op: "mergePatch", resource: PVCS, ref: ref(server, pvc), patch: pvcExpansionPatch(expansion.to), step: `expand PersistentVolumeClaim ${pvc}`, fact: { expandedVolume: pvc } });
    }
    if (status?.capacity?.storage !== expansion.to) expandingVolumes.push(pvc);
  }
  writes.push(...takeover.last, ...deletes);

  return {
    writes,
    desired,
    specProblems,
    config,
    configChanged: configDataChanged(observedChild(observed, CORE.configMaps, childNames(name).configMap), config),
    configHash: hash,
    pvcExpansions: expansions,
    expandingVolumes,
    missingSecrets,
    forbiddenStorageChanges: forbidden,
    immutableChanges,
    ...(takeover.hold ? { replacingStatefulSet: takeover.hold } : {}),
  };
}
