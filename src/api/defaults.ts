/**
 * Every documented default of the DittoServer API, in one place. The CRD schema takes its `default` values from
 * here, and builders use the same values when an optional parent object (and so its defaults) is absent.
 * The object mirrors the spec's shape: `DEFAULTS.percona.backup.region` is the default of
 * `spec.percona.backup.region`.
 */
import { DEFAULT_IMAGE } from "./constants.ts";

/** Mount path of the control-plane volume: the only writable place for files the server creates (DB, log file). */
export const CONTROL_PLANE_VOLUME_PATH = "/data/controlplane";

export const DEFAULTS = {
  image: DEFAULT_IMAGE,
  replicas: 1,
  shutdownTimeout: "30s",
  storage: {
    controlPlaneSize: "1Gi",
  },
  database: {
    sqlite: {
      path: `${CONTROL_PLANE_VOLUME_PATH}/controlplane.db`,
    },
    postgresSecretRef: {
      /** Key names looked up in the user's Postgres Secret when `keys` does not rename them. */
      keys: {
        host: "host",
        port: "port",
        database: "database",
        user: "user",
        password: "password",
        sslmode: "sslmode",
      },
    },
  },
  controlPlane: {
    port: 8080,
  },
  identity: {
    jwt: {
      accessTokenDuration: "15m",
      refreshTokenDuration: "168h",
    },
    ldap: { enabled: false, caCertSecretRef: { key: "ca.crt" } },
    kerberos: { enabled: false, machineAccount: { enabled: false } },
  },
  service: {
    type: "ClusterIP",
  },
  adapterServices: {
    type: "LoadBalancer",
  },
  adapterDiscovery: {
    pollingInterval: "30s",
  },
  networkPolicy: {
    enabled: true,
  },
  metrics: {
    enabled: false,
    port: 9090,
    path: "/metrics",
    serviceMonitor: { enabled: false },
  },
  logging: {
    level: "INFO",
    format: "json",
    output: "stdout",
  },
  percona: {
    enabled: false,
    deleteWithServer: false,
    replicas: 1,
    storageSize: "10Gi",
    databaseName: "dittofs",
    backup: {
      enabled: false,
      region: "eu-west-1",
      fullSchedule: "0 2 * * *",
      incrSchedule: "0 * * * *",
      retentionDays: 7,
    },
  },
} as const;

/** Ports the DittoFS server uses for its file adapters by default; the API and metrics ports must avoid them. */
export const SERVER_PORTS = {
  nfs: 12049,
  smb: 1445,
} as const;

/** Seconds of the pod's preStop sleep, part of the grace-period formula. */
export const PRE_STOP_SECONDS = 5;
/** Slack after the server's own 3 × shutdownTimeout + 5 s self-exit deadline. */
export const GRACE_SLACK_SECONDS = 10;
/** Lowest accepted `terminationGracePeriodSeconds` (reference compatible). */
export const MIN_TERMINATION_GRACE_PERIOD_SECONDS = 36;
