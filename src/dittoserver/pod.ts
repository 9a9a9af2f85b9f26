/**
 * The file-server pod's parts: env (Secret values only through `secretKeyRef`), volumes and mounts, ports, the
 * `dittofs` container and, with Percona, a bounded wait-for-PostgreSQL init container.
 */
import { apiRequiresClientCert, apiServesHttps, effectiveDatabase } from "../api/derived.ts";
import type { DittoServer } from "../api/types.ts";
import { FILE_PORTS, PATHS, PORT_NAMES, VOLUMES, childNames, CLAIMS, CONFIG_KEY, CONTAINER_NAME, WAIT_FOR_POSTGRES_CONTAINER } from "./names.ts";
import { containerProbes } from "./probes.ts";
import type { ApiListenerMode } from "./probes.ts";
import { referencedSecrets } from "./secretrefs.ts";
import type { SecretUse } from "./secretrefs.ts";
import { containerSecurityContext } from "./security.ts";
import { volumeLayout } from "./volume-layout.ts";

export type Json = Record<string, unknown>;

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } };
}

/** Env var fed by each consumed Secret purpose; purposes not listed here are mounted as files. */
const ENV_BY_PURPOSE: Record<string, string> = {
  jwt: "DITTOFS_CONTROLPLANE_SECRET",
  "admin.password": "DITTOFS_ADMIN_INITIAL_PASSWORD",
  "postgres.host": "DITTOFS_DATABASE_POSTGRES_HOST",
  "postgres.port": "DITTOFS_DATABASE_POSTGRES_PORT",
  "postgres.database": "DITTOFS_DATABASE_POSTGRES_DATABASE",
  "postgres.user": "DITTOFS_DATABASE_POSTGRES_USER",
  "postgres.password": "DITTOFS_DATABASE_POSTGRES_PASSWORD",
  "postgres.sslmode": "DITTOFS_DATABASE_POSTGRES_SSLMODE",
  "ldap.bindPassword": "DITTOFS_LDAP_BIND_PASSWORD",
  "kerberos.machineAccount.secret": "DITTOFS_KERBEROS_MACHINE_ACCOUNT_SECRET",
};

function secretEnv(name: string, use: SecretUse): EnvVar {
  // Required keys are not `optional`: the kubelet then refuses to start the container rather than letting
  // DittoFS boot without, e.g., the admin password (it would invent an unrecoverable one).
  const ref = use.optional ? { name: use.name, key: use.key, optional: true } : { name: use.name, key: use.key };
  return { name, valueFrom: { secretKeyRef: ref } };
}

/**
 * Env of the `dittofs` container. Literal values are limited to non-secret settings: the database type and the
 * XDG homes, moved onto the control-plane volume because the root filesystem is read-only.
 */
export function containerEnv(server: DittoServer, uses: readonly SecretUse[] = referencedSecrets(server)): EnvVar[] {
  const env: EnvVar[] = [
    { name: "XDG_CONFIG_HOME", value: PATHS.xdgConfig },
    { name: "XDG_STATE_HOME", value: PATHS.xdgState },
  ];
  if (effectiveDatabase(server.spec).type === "postgres") env.push({ name: "DITTOFS_DATABASE_TYPE", value: "postgres" });
  for (const use of uses) {
    const name = ENV_BY_PURPOSE[use.purpose];
    if (name) env.push(secretEnv(name, use));
  }
  return env;
}

export function listenerMode(server: DittoServer): ApiListenerMode {
  if (apiRequiresClientCert(server.spec)) return "mtls";
  return apiServesHttps(server.spec) ? "https" : "http";
}

/** Mode 0440: owner root, group fsGroup (65532) may read; Secret files are never world-readable. */
const SECRET_FILE_MODE = 0o440;

interface VolumePlan {
  volumes: Json[];
  mounts: Json[];
}

function secretVolume(plan: VolumePlan, volume: string, mountPath: string, secretName: string, items: [string, string][]): void {
  plan.volumes.push({
    name: volume,
    secret: { secretName, defaultMode: SECRET_FILE_MODE, items: items.map(([key, path]) => ({ key, path })) },
  });
  // Whole-directory mounts (no subPath) so the kubelet propagates Secret updates (TLS hot reload).
  plan.mounts.push({ name: volume, mountPath, readOnly: true });
}

/** Pod volumes and the container's mounts; claim-backed mounts refer to the volumeClaimTemplates. */
export function volumePlan(server: DittoServer): VolumePlan {
  const spec = server.spec;
  const names = childNames(server.metadata.name ?? "");
  const layout = volumeLayout(server);
  const plan: VolumePlan = {
    volumes: [
      { name: VOLUMES.config, configMap: { name: names.configMap, items: [{ key: CONFIG_KEY, path: CONFIG_KEY }] } },
      // Writable scratch space: the server writes temp files to os.TempDir() and the root FS is read-only.
      { name: VOLUMES.tmp, emptyDir: {} },
    ],
    mounts: [
      { name: VOLUMES.config, mountPath: PATHS.configDir, readOnly: true },
      { name: VOLUMES.tmp, mountPath: PATHS.tmp },
      { name: CLAIMS.metadata, mountPath: layout.metadata },
    ],
  };
  if (spec.storage.contentSize !== undefined) plan.mounts.push({ name: CLAIMS.content, mountPath: layout.content });
  plan.mounts.push({ name: CLAIMS.controlPlane, mountPath: PATHS.controlPlane });

  const cp = spec.controlPlane;
  if (cp.certSecretName) {
    secretVolume(plan, VOLUMES.tlsCert, PATHS.tlsDir, cp.certSecretName, [["tls.crt", "tls.crt"], ["tls.key", "tls.key"]]);
    if (cp.clientCASecretName) secretVolume(plan, VOLUMES.tlsClientCA, PATHS.tlsClientCADir, cp.clientCASecretName, [["ca.crt", "ca.crt"]]);
  }
  const token = spec.metrics?.enabled ? spec.metrics.bearerTokenSecret : undefined;
  if (token) secretVolume(plan, VOLUMES.metricsToken, PATHS.metricsTokenDir, token.name, [[token.key ?? "", "token"]]);
  const ldapCA = spec.identity?.ldap?.enabled ? spec.identity.ldap.caCertSecretRef : undefined;
  if (ldapCA) secretVolume(plan, VOLUMES.ldapCA, PATHS.ldapCADir, ldapCA.name, [[ldapCA.key, "ca.crt"]]);
  const kerberos = spec.identity?.kerberos;
  if (kerberos?.enabled) {
    const keytab = kerberos.keytabSecretRef;
    if (keytab) secretVolume(plan, VOLUMES.kerberosKeytab, PATHS.kerberosKeytabDir, keytab.name, [[keytab.key ?? "", "dittofs.keytab"]]);
    const krb5 = kerberos.krb5ConfSecretRef;
    if (krb5) secretVolume(plan, VOLUMES.kerberosKrb5, PATHS.kerberosKrb5Dir, krb5.name, [[krb5.key ?? "", "krb5.conf"]]);
    const machine = kerberos.machineAccount?.enabled ? kerberos.machineAccount.keytabSecretRef : undefined;
    if (machine) {
      secretVolume(plan, VOLUMES.kerberosMachineKeytab, PATHS.kerberosMachineDir, machine.name, [[machine.key ?? "", "machine.keytab"]]);
    }
  }
  return plan;
}

/**
 * Container ports. NFS and SMB are the ports DittoFS seeds on first boot; they are fixed here on purpose
 * (Service targetPorts are numeric), so enabling or moving adapters over the REST API never rolls the pod.
 */
export function containerPorts(server: DittoServer): Json[] {
  const ports: Json[] = [{ name: PORT_NAMES.api, containerPort: server.spec.controlPlane.port, protocol: "TCP" }];
  if (server.spec.metrics?.enabled) ports.push({ name: PORT_NAMES.metrics, containerPort: server.spec.metrics.port, protocol: "TCP" });
  ports.push(
    { name: PORT_NAMES.nfs, containerPort: FILE_PORTS.nfs, protocol: "TCP" },
    { name: PORT_NAMES.smb, containerPort: FILE_PORTS.smb, protocol: "TCP" },
  );
  return ports;
}

/** Seconds of the preStop sleep: lets endpoints controllers drop the pod before SIGTERM. */
export const PRE_STOP_COMMAND = ["/bin/sh", "-c", "sleep 5"];

export function dittofsContainer(server: DittoServer, mounts: Json[]): Json {
  const spec = server.spec;
  const container: Json = {
    name: CONTAINER_NAME,
    image: spec.image,
    command: ["/app/dfs"],
    args: ["start", "--foreground", "--config", PATHS.configFile],
    ports: containerPorts(server),
    env: containerEnv(server),
    volumeMounts: mounts,
    ...containerProbes(listenerMode(server)),
    lifecycle: { preStop: { exec: { command: PRE_STOP_COMMAND } } },
    securityContext: containerSecurityContext(spec.securityContext),
  };
  if (spec.imagePullPolicy) container.imagePullPolicy = spec.imagePullPolicy;
  if (spec.resources) container.resources = structuredClone(spec.resources);
  return container;
}

/** Image of the wait-for-PostgreSQL init container (has `pg_isready`). */
export const POSTGRES_WAIT_IMAGE = "postgres:16-alpine";
/** Upper bound of the wait; the kubelet then restarts the init container with back-off. */
export const POSTGRES_WAIT_SECONDS = 300;

/**
 * Waits for the Percona primary to accept connections so DittoFS does not crash-loop on its first migration.
 * Bounded by `timeout`; no `$(` in the script because the kubelet would try to expand it as a variable.
 */
export function waitForPostgresContainer(server: DittoServer): Json | undefined {
  const database = effectiveDatabase(server.spec);
  if (database.type !== "postgres" || database.source !== "percona") return undefined;
  const secret = childNames(server.metadata.name ?? "").perconaUserSecret;
  const fromSecret = (name: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  const script =
    `timeout ${POSTGRES_WAIT_SECONDS} sh -c 'until pg_isready -t 5; do sleep 2; done' ` +
    `|| { echo "PostgreSQL $PGHOST:$PGPORT not accepting connections after ${POSTGRES_WAIT_SECONDS}s" >&2; exit 1; }`;
  return {
    name: WAIT_FOR_POSTGRES_CONTAINER,
    image: POSTGRES_WAIT_IMAGE,
    command: ["/bin/sh", "-c", script],
    // pg_isready only needs where to knock; the password stays out of this container.
    env: [fromSecret("PGHOST", "host"), fromSecret("PGPORT", "port"), fromSecret("PGDATABASE", "dbname"), fromSecret("PGUSER", "user")],
    resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
    securityContext: containerSecurityContext(undefined),
  };
}
