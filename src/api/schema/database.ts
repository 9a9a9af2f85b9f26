/** `spec.database` (control-plane database) and `spec.percona` (operator-managed PostgreSQL via Percona). */
import { Type } from "@sinclair/typebox";
import { DEFAULTS } from "../defaults.ts";
import { cel, DataKey, growOnly, immutableOptional, ObjectName, positiveSize, SecretRef, Size, StringEnum } from "./helpers.ts";

const KEYS = DEFAULTS.database.postgresSecretRef.keys;
const keyField = (field: keyof typeof KEYS, meaning: string) =>
  DataKey(`Secret key holding ${meaning}. Default "${KEYS[field]}".`, { default: KEYS[field] });

export const PostgresSecretKeysSchema = Type.Object(
  {
    host: keyField("host", "the server host name (required in the Secret)"),
    port: keyField("port", "the port (optional in the Secret; the server uses 5432 when absent)"),
    database: keyField("database", "the database name (required in the Secret)"),
    user: keyField("user", "the user name (required in the Secret)"),
    password: keyField("password", "the password (required in the Secret)"),
    sslmode: keyField(
      "sslmode",
      "the sslmode, one of disable|require|verify-ca|verify-full (optional in the Secret; the server uses disable when absent)",
    ),
  },
  { description: "Names of the keys read from the Secret; each defaults to the field's own name.", default: {} },
);

export const PostgresSecretRefSchema = Type.Object(
  {
    name: ObjectName("Name of the Secret holding the connection settings, in the DittoServer's namespace."),
    keys: PostgresSecretKeysSchema,
  },
  {
    description:
      "Connection to an existing PostgreSQL server. The Secret must contain the keys named by `keys` (by default " +
      "host, database, user, password; port and sslmode are optional). Every value is passed to the server as an " +
      "environment variable; changing the Secret restarts the pod.",
  },
);

export const DatabaseSpecSchema = Type.Object(
  {
    type: Type.Optional(
      StringEnum(["sqlite", "postgres"], {
        description:
          "Control-plane database. When omitted it is derived: postgres if percona.enabled or postgresSecretRef is " +
          "set, sqlite otherwise. postgres needs postgresSecretRef or percona.enabled.",
      }),
    ),
    sqlite: Type.Optional(
      Type.Object(
        {
          path: Type.String({
            description: "Path of the SQLite file; keep it on the control-plane volume (/data/controlplane).",
            pattern: "^/",
            maxLength: 1024,
            default: DEFAULTS.database.sqlite.path,
          }),
        },
        { description: "SQLite settings; only with the sqlite database." },
      ),
    ),
    postgresSecretRef: Type.Optional(PostgresSecretRefSchema),
  },
  {
    description: "Control-plane database (users, shares, adapters). Defaults to SQLite on the control-plane volume.",
    ...cel(
      {
        rule: "!(has(self.type) && self.type == 'sqlite' && has(self.postgresSecretRef))",
        message: "postgresSecretRef is only used with type postgres",
        fieldPath: ".postgresSecretRef",
      },
      {
        rule: "!(has(self.sqlite) && has(self.postgresSecretRef))",
        message: "sqlite settings do not apply when postgresSecretRef selects PostgreSQL",
        fieldPath: ".sqlite",
      },
      {
        rule: "!(has(self.sqlite) && has(self.type) && self.type == 'postgres')",
        message: "sqlite settings do not apply to type postgres",
        fieldPath: ".sqlite",
      },
    ),
  },
);

export const PerconaBackupSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: "Back the database up with pgBackRest to S3.", default: DEFAULTS.percona.backup.enabled }),
    credentialsSecretRef: Type.Optional(
      SecretRef("Secret with the pgBackRest S3 configuration (repo1-s3-key, repo1-s3-key-secret). Required when enabled."),
    ),
    bucket: Type.Optional(Type.String({ description: "S3 bucket. Required when enabled.", minLength: 3, maxLength: 63 })),
    endpoint: Type.Optional(Type.String({ description: "S3 endpoint, e.g. s3.eu-west-1.amazonaws.com. Required when enabled.", minLength: 1, maxLength: 512 })),
    region: Type.String({ description: "S3 region.", maxLength: 64, default: DEFAULTS.percona.backup.region }),
    fullSchedule: Type.String({ description: "Cron schedule of full backups.", maxLength: 128, default: DEFAULTS.percona.backup.fullSchedule }),
    incrSchedule: Type.String({ description: "Cron schedule of incremental backups.", maxLength: 128, default: DEFAULTS.percona.backup.incrSchedule }),
    retentionDays: Type.Integer({ description: "Days full backups are kept.", format: "int32", minimum: 1, maximum: 3650, default: DEFAULTS.percona.backup.retentionDays }),
  },
  {
    description: "pgBackRest backups of the Percona cluster to S3-compatible storage.",
    ...cel(
      { rule: "!self.enabled || has(self.bucket)", message: "bucket is required when backup is enabled", reason: "FieldValueRequired", fieldPath: ".bucket" },
      { rule: "!self.enabled || has(self.endpoint)", message: "endpoint is required when backup is enabled", reason: "FieldValueRequired", fieldPath: ".endpoint" },
      {
        rule: "!self.enabled || has(self.credentialsSecretRef)",
        message: "credentialsSecretRef is required when backup is enabled",
        reason: "FieldValueRequired",
        fieldPath: ".credentialsSecretRef",
      },
    ),
  },
);

export const PerconaSpecSchema = Type.Object(
  {
    enabled: Type.Boolean({
      description: "Run a PostgreSQL cluster with the Percona operator (must be installed) and use it as the database.",
      default: DEFAULTS.percona.enabled,
    }),
    deleteWithServer: Type.Boolean({
      description: "Delete the PostgreSQL cluster (and its data) with the DittoServer. When false it is orphaned and kept.",
      default: DEFAULTS.percona.deleteWithServer,
    }),
    replicas: Type.Integer({ description: "PostgreSQL instances.", format: "int32", minimum: 1, maximum: 5, default: DEFAULTS.percona.replicas }),
    storageSize: Size("Volume size of each PostgreSQL instance; may grow, never shrink.", {
      default: DEFAULTS.percona.storageSize,
      ...cel(positiveSize("percona.storageSize"), growOnly("percona.storageSize")),
    }),
    storageClassName: Type.Optional(ObjectName("StorageClass of the PostgreSQL volumes. Immutable.")),
    databaseName: Type.String({
      description: "Database created for DittoFS.",
      pattern: "^[a-z_][a-z0-9_]*$",
      maxLength: 63,
      default: DEFAULTS.percona.databaseName,
    }),
    backup: Type.Optional(PerconaBackupSpecSchema),
  },
  {
    description: "Operator-managed PostgreSQL (PerconaPGCluster <name>-postgres) used as the control-plane database.",
    ...cel(immutableOptional("storageClassName", "percona.storageClassName")),
  },
);
