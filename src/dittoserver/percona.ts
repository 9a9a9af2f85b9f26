/**
 * The PerconaPGCluster `<name>-postgres` (Percona Operator for PostgreSQL v2) backing the control-plane database
 * when `spec.percona.enabled`. Applied with server-side apply on every pass, so spec drift is reconciled (the
 * reference only created it), and backup retention is rendered (the reference dropped `retentionDays`).
 */
import { DEFAULTS } from "../api/defaults.ts";
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { childMetadata, COMPONENTS } from "./labels.ts";
import { childNames, PERCONA_USER } from "./names.ts";
import type { Json } from "./pod.ts";

export const PERCONA_API_VERSION = "pgv2.percona.com/v2";
export const PERCONA_KIND = "PerconaPGCluster";
export const PERCONA_CR_VERSION = "2.8.0";
export const PERCONA_POSTGRES_VERSION = 16;

function backups(server: DittoServer): Json {
  const backup = server.spec.percona?.backup;
  if (!backup?.enabled) return { enabled: false };
  const name = server.metadata.name ?? "";
  const repo: Json = {
    name: "repo1",
    s3: { bucket: backup.bucket ?? "", endpoint: backup.endpoint ?? "", region: backup.region },
    schedules: { full: backup.fullSchedule, incremental: backup.incrSchedule },
  };
  const pgbackrest: Json = {
    global: {
      "repo1-path": `/pgbackrest/${name}/repo1`,
      "repo1-s3-uri-style": "path",
      "repo1-storage-verify-tls": "y",
      // Time-based retention: full backups older than retentionDays (and the WAL they need) are expired.
      "repo1-retention-full": String(backup.retentionDays),
      "repo1-retention-full-type": "time",
    },
    repos: [repo],
  };
  if (backup.credentialsSecretRef) pgbackrest.configuration = [{ secret: { name: backup.credentialsSecretRef.name } }];
  return { pgbackrest };
}

/**
 * Desired cluster, or undefined when Percona is off. The controller ownerReference is set only with
 * `deleteWithServer`: otherwise garbage collection can never take the database, even if the finalizer is
 * bypassed; the cluster is still found through its labels.
 */
export function desiredPerconaCluster(server: DittoServer): KubeObject | undefined {
  const percona = server.spec.percona;
  if (!percona?.enabled) return undefined;
  const names = childNames(server.metadata.name ?? "");
  const dataVolumeClaimSpec: Json = {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: percona.storageSize } },
  };
  if (percona.storageClassName) dataVolumeClaimSpec.storageClassName = percona.storageClassName;
  return {
    apiVersion: PERCONA_API_VERSION,
    kind: PERCONA_KIND,
    metadata: childMetadata(server, names.perconaCluster, COMPONENTS.database, { owned: percona.deleteWithServer }),
    spec: {
      crVersion: PERCONA_CR_VERSION,
      postgresVersion: PERCONA_POSTGRES_VERSION,
      instances: [{ name: "instance1", replicas: percona.replicas, dataVolumeClaimSpec }],
      users: [{ name: PERCONA_USER, databases: [percona.databaseName || DEFAULTS.percona.databaseName] }],
      backups: backups(server),
    },
  };
}

/** The cluster accepts connections: the Percona operator reports `status.state: ready`. */
export function perconaReady(cluster: KubeObject | undefined): boolean {
  return perconaState(cluster) === "ready";
}

/** `status.state` of the cluster (`initializing`, `ready`, `paused`, …), or undefined before the first status. */
export function perconaState(cluster: KubeObject | undefined): string | undefined {
  const state = (cluster?.status as Json | undefined)?.state;
  return typeof state === "string" ? state : undefined;
}
