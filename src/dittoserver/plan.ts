/**
 * One reconcile pass as a pure function: from the DittoServer and what the reconciler read from its cache to
 * every object to write, in order, plus the facts `computeStatus` needs. The imperative reconciler only
 * performs the writes and feeds their results (and errors) back into `computeStatus`.
 *
 * Order of writes the reconciler follows: generated Secrets → ConfigMap → Services → ServiceMonitor → Percona
 * → PVC expansions → StatefulSet (when `statefulSet` is defined) → deletion of `obsolete` → status.
 */
import { effectiveDatabase } from "../api/derived.ts";
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { configDataChanged, desiredConfigMap, renderConfig } from "./config.ts";
import { configHash } from "./hash.ts";
import { nameProblems, pvcName } from "./names.ts";
import { desiredPerconaCluster, perconaReady } from "./percona.ts";
import { desiredAdminSecret, desiredJwtSecret, generatedSecretAction, ADMIN_PASSWORD_BYTES, JWT_SECRET_BYTES } from "./secrets.ts";
import type { GeneratedSecretAction } from "./secrets.ts";
import { consumedSecrets, referencedSecrets } from "./secretrefs.ts";
import type { MissingSecret } from "./secretrefs.ts";
import { desiredServiceMonitor, desiredServices, obsoleteChildren } from "./services.ts";
import { desiredStatefulSet, immutableFieldChanges, storageChanges, withExistingClaimTemplates } from "./statefulset.ts";
import type { ClaimExpansion, ForbiddenStorageChange } from "./statefulset.ts";
import type { PerconaObservation, StatusInput } from "./status.ts";
import { blockingProblems } from "./status.ts";

/** What the reconciler read before writing anything. */
export interface Observed {
  /** Every Secret named by `referencedSecretNames(server)`; a missing entry or undefined = absent. */
  secrets: ReadonlyMap<string, KubeObject | undefined>;
  configMap?: KubeObject;
  statefulSet?: KubeObject;
  /** Required when `spec.percona.enabled`. */
  percona?: PerconaObservation;
  /** Names from `spec.storage.storageClassName` / `spec.percona.storageClassName` that do not exist. */
  missingStorageClasses?: string[];
  /** False when the monitoring.coreos.com ServiceMonitor CRD is not installed (the ServiceMonitor is then skipped). */
  serviceMonitorCrdInstalled?: boolean;
  /** StorageClass names (of our PVCs) whose `allowVolumeExpansion` is true; `""` for the cluster default. */
  expandableClasses?: ReadonlySet<string>;
}

export interface PassPlan {
  specProblems: string[];
  /** Create or key-fill actions for the operator's own Secrets (never overwrites). */
  generatedSecrets: GeneratedSecretAction[];
  config: string;
  configChanged: boolean;
  configMap: KubeObject;
  configHash: string;
  services: KubeObject[];
  serviceMonitor?: KubeObject;
  percona?: KubeObject;
  /** PVC name → new size; only growths whose class allows expansion. */
  pvcExpansions: { pvc: string; expansion: ClaimExpansion }[];
  /** Undefined when it must not be applied this pass (blocked, or first creation waits for the database). */
  statefulSet?: KubeObject;
  obsolete: { apiVersion: string; kind: string; name: string }[];
  missingSecrets: MissingSecret[];
  forbiddenStorageChanges: ForbiddenStorageChange[];
  immutableChanges: string[];
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

export function planPass(server: DittoServer, observed: Observed, entropy: Entropy): PassPlan {
  const name = server.metadata.name ?? "";
  const specProblems = nameProblems(name);

  const generated: GeneratedSecret[] = [];
  for (const desired of [desiredJwtSecret(server, entropy.jwt), desiredAdminSecret(server, entropy.admin)]) {
    if (!desired) continue;
    const seen = observed.secrets.get(desired.metadata.name ?? "");
    generated.push({ desired, seen, action: generatedSecretAction(desired, seen) });
  }
  const generatedSecrets = generated.map((g) => g.action).filter((a) => a.action !== "none");
  const secrets = secretsAfterWrites(observed, generated);

  const config = renderConfig(server);
  const consumed = consumedSecrets(referencedSecrets(server), secrets);
  const hash = configHash(config, consumed.hashValues);

  let desiredSts = desiredStatefulSet(server, hash);
  const existing = observed.statefulSet;
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

  const percona = desiredPerconaCluster(server);
  const serviceMonitor = observed.serviceMonitorCrdInstalled === false ? undefined : desiredServiceMonitor(server);
  return {
    specProblems,
    generatedSecrets,
    config,
    configChanged: configDataChanged(observed.configMap, config),
    configMap: desiredConfigMap(server, config),
    configHash: hash,
    services: desiredServices(server),
    ...(serviceMonitor ? { serviceMonitor } : {}),
    ...(percona && observed.percona?.kind !== "crdMissing" ? { percona } : {}),
    pvcExpansions: blocked ? [] : pvcExpansions,
    ...(blocked || waitForDatabase ? {} : { statefulSet: desiredSts }),
    obsolete: obsoleteChildren(server),
    missingSecrets,
    forbiddenStorageChanges: forbidden,
    immutableChanges,
  };
}
