/**
 * Every name, path, port and well-known key the DittoServer children use, in one place. Children get
 * deterministic names derived from the DittoServer's name so that server-side apply is idempotent and the
 * reconciler never has to list to find its objects.
 */

import { CONTROL_PLANE_VOLUME_PATH } from "../api/defaults.ts";

/** Names of the objects one DittoServer owns (or, for the Percona user Secret, reads). */
export interface ChildNames {
  statefulSet: string;
  configMap: string;
  headlessService: string;
  apiService: string;
  metricsService: string;
  /** Service of earlier versions exposing NFS and SMB on their seeded ports; retired (file-service.ts). */
  fileService: string;
  serviceMonitor: string;
  /** Ingress NetworkPolicy of the pod built from the spec (the per-adapter ones are named like the adapter Services). */
  baselinePolicy: string;
  perconaCluster: string;
  /** Secret the Percona operator writes for our database user; we only read it. */
  perconaUserSecret: string;
  /**
   * JWT signing key, generated when `identity.jwt.secretRef` is not set. This and the admin Secret keep the
   * reference operator's names and keys, so a server migrated from it keeps its admin password on record.
   */
  jwtSecret: string;
  /** Initial admin password, generated when `identity.admin.passwordSecretRef` is not set. */
  adminSecret: string;
}

/** Database user the Percona cluster creates for DittoFS; the Secret name embeds it. */
export const PERCONA_USER = "dittofs";

export function childNames(serverName: string): ChildNames {
  const percona = `${serverName}-postgres`;
  return {
    statefulSet: serverName,
    configMap: `${serverName}-config`,
    headlessService: `${serverName}-headless`,
    apiService: `${serverName}-api`,
    metricsService: `${serverName}-metrics`,
    fileService: `${serverName}-file`,
    serviceMonitor: `${serverName}-metrics`,
    baselinePolicy: `${serverName}-baseline`,
    perconaCluster: percona,
    perconaUserSecret: `${percona}-pguser-${PERCONA_USER}`,
    jwtSecret: `${serverName}-jwt-secret`,
    adminSecret: `${serverName}-admin-bootstrap-credentials`,
  };
}

/** Name of the PVC the StatefulSet controller creates for claim template `claim` and pod `ordinal`. */
export function pvcName(serverName: string, claim: string, ordinal = 0): string {
  return `${claim}-${serverName}-${ordinal}`;
}

/** Name of the single file-server pod. */
export function podName(serverName: string, ordinal = 0): string {
  return `${serverName}-${ordinal}`;
}

/**
 * Longest DittoServer name whose derived names all stay valid: Services are DNS-1035 labels (≤ 63), the
 * longest suffix is `-headless` (9), and the StatefulSet's `controller-revision-hash` pod label is
 * `<name>-<10 chars>` (label values ≤ 63). 45 leaves room for both with a margin.
 */
export const MAX_SERVER_NAME_LENGTH = 45;

/** Problems with a DittoServer name for the children we derive from it (empty = fine). */
export function nameProblems(serverName: string): string[] {
  const problems: string[] = [];
  if (serverName.length > MAX_SERVER_NAME_LENGTH) {
    problems.push(
      `name "${serverName}" is ${serverName.length} characters; at most ${MAX_SERVER_NAME_LENGTH} are allowed because Service and label names derived from it are limited to 63`,
    );
  }
  // Services require DNS-1035 labels: a letter first, no dots.
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(serverName)) {
    problems.push(
      `name "${serverName}" must start with a lowercase letter and contain only lowercase letters, digits and '-' (it names Services)`,
    );
  }
  return problems;
}

/** Container, volume and claim names. */
export const CONTAINER_NAME = "dittofs";
export const WAIT_FOR_POSTGRES_CONTAINER = "wait-for-postgres";

export const CLAIMS = {
  metadata: "metadata",
  content: "content",
  controlPlane: "controlplane",
} as const;

export const VOLUMES = {
  config: "config",
  tmp: "tmp",
  tlsCert: "tls-cert",
  tlsClientCA: "tls-client-ca",
  metricsToken: "metrics-token",
  kerberosKeytab: "kerberos-keytab",
  kerberosKrb5: "kerberos-krb5",
  kerberosMachineKeytab: "kerberos-machine-keytab",
  ldapCA: "ldap-ca",
} as const;

/** Where things are mounted in the DittoFS container; the config file refers to these paths. */
export const PATHS = {
  configDir: "/config",
  configFile: "/config/config.yaml",
  tmp: "/tmp",
  controlPlane: CONTROL_PLANE_VOLUME_PATH,
  /** XDG state/config homes on the control-plane volume: the root filesystem is read-only. */
  xdgState: "/data/controlplane/state",
  xdgConfig: "/data/controlplane/config",
  tlsDir: "/tls",
  tlsCert: "/tls/tls.crt",
  tlsKey: "/tls/tls.key",
  tlsClientCADir: "/tls-client-ca",
  tlsClientCA: "/tls-client-ca/ca.crt",
  metricsTokenDir: "/metrics-token",
  metricsToken: "/metrics-token/token",
  kerberosKeytabDir: "/kerberos",
  kerberosKeytab: "/kerberos/dittofs.keytab",
  kerberosKrb5Dir: "/kerberos-krb5",
  kerberosKrb5: "/kerberos-krb5/krb5.conf",
  kerberosMachineDir: "/kerberos-machine",
  kerberosMachineKeytab: "/kerberos-machine/machine.keytab",
  ldapCADir: "/ldap-ca",
  ldapCA: "/ldap-ca/ca.crt",
} as const;

/**
 * Where the metadata and content claims are mounted. Stores created over the REST API record absolute paths in the
 * server's database, so a server keeps the layout it was created with: `reference` is the reference operator's
 * (`/data/store/*`), recorded on servers taken over from it (see takeover.ts); a store under those paths would
 * otherwise land on the container's root filesystem and be lost at the next restart.
 */
export const VOLUME_LAYOUTS = {
  default: { metadata: "/data/metadata", content: "/data/content" },
  reference: { metadata: "/data/store/metadata", content: "/data/store/block" },
} as const;
export type VolumeLayoutName = keyof typeof VOLUME_LAYOUTS;

/** DittoServer annotation naming its `VOLUME_LAYOUTS` entry; absent = `default`. Never change it on a running server. */
export const VOLUME_LAYOUT_ANNOTATION = "dittofs.dittofs.com/volume-layout";

/** Key of the ConfigMap holding the rendered server configuration. */
export const CONFIG_KEY = "config.yaml";

/** Ports DittoFS seeds for its adapters on first boot (`nfs:12049`, `smb:1445`). */
export const FILE_PORTS = {
  nfs: 12049,
  smb: 1445,
} as const;

export const PORT_NAMES = {
  api: "api",
  metrics: "metrics",
  nfs: "nfs",
  smb: "smb",
} as const;

/** Pod-template annotation carrying the configuration hash; a change rolls the pod. */
export const CONFIG_HASH_ANNOTATION = "dittofs.dittofs.com/config-hash";

/** Keys of the Secrets the operator generates. */
export const GENERATED_KEYS = {
  jwtSecret: "jwt-secret",
  adminUsername: "username",
  adminPassword: "password",
} as const;

/** Keys of the Secret the Percona operator writes for a database user. */
export const PERCONA_USER_SECRET_KEYS = {
  host: "host",
  port: "port",
  database: "dbname",
  user: "user",
  password: "password",
} as const;
