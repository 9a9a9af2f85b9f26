/**
 * Every Secret key the file-server pod consumes, derived from the spec alone. One list drives three things:
 * the env/volume wiring of the pod, the reconciler's Secret index and watch (so a user editing a referenced
 * Secret triggers a pass), and the configuration hash (so a consumed value change rolls the pod).
 */
import { effectiveDatabase } from "../api/derived.ts";
import type { DittoServer, SecretKeyRef } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { secretValueKey } from "./hash.ts";
import { childNames, GENERATED_KEYS, PERCONA_USER_SECRET_KEYS } from "./names.ts";

/** Who writes the Secret: the user, the operator (generated), or the Percona operator (database user). */
export type SecretSource = "user" | "operator" | "percona";

export interface SecretUse {
  /** Secret name in the DittoServer's namespace. */
  name: string;
  key: string;
  /** What the value is for, e.g. `jwt`, `postgres.host`; appears in messages. */
  purpose: string;
  source: SecretSource;
  /** The pod starts without it (optional env); absence is not a problem. */
  optional: boolean;
  /**
   * Whether a value change must restart the server. False only for the API certificate and key, which DittoFS
   * hot-reloads from the mounted files: a cert-manager renewal must not interrupt NFS clients.
   */
  restartOnChange: boolean;
}

/** `ref.key` of a CEL-validated SecretKeySelector; an empty string if the API server let one through without. */
function keyOf(ref: SecretKeyRef): string {
  return ref.key ?? "";
}

function userRef(ref: SecretKeyRef, purpose: string): SecretUse {
  return { name: ref.name, key: keyOf(ref), purpose, source: "user", optional: false, restartOnChange: true };
}

/** Every consumed Secret key, in a stable order (the env order of the pod follows it). */
export function referencedSecrets(server: DittoServer): SecretUse[] {
  const spec = server.spec;
  const names = childNames(server.metadata.name ?? "");
  const uses: SecretUse[] = [];
  const identity = spec.identity;

  const jwtRef = identity?.jwt?.secretRef;
  uses.push(
    jwtRef
      ? userRef(jwtRef, "jwt")
      : { name: names.jwtSecret, key: GENERATED_KEYS.jwtSecret, purpose: "jwt", source: "operator", optional: false, restartOnChange: true },
  );
  const adminRef = identity?.admin?.passwordSecretRef;
  uses.push(
    adminRef
      ? userRef(adminRef, "admin.password")
      : {
          name: names.adminSecret,
          key: GENERATED_KEYS.adminPassword,
          purpose: "admin.password",
          source: "operator",
          optional: false,
          restartOnChange: true,
        },
  );

  const database = effectiveDatabase(spec);
  if (database.type === "postgres" && database.source === "secret") {
    const { name, keys } = database.secretRef;
    const field = (purpose: keyof typeof keys, optional: boolean): SecretUse => ({
      name,
      key: keys[purpose],
      purpose: `postgres.${purpose}`,
      source: "user",
      optional,
      restartOnChange: true,
    });
    uses.push(field("host", false), field("port", true), field("database", false), field("user", false), field("password", false), field("sslmode", true));
  } else if (database.type === "postgres") {
    for (const [purpose, key] of Object.entries(PERCONA_USER_SECRET_KEYS)) {
      uses.push({ name: names.perconaUserSecret, key, purpose: `postgres.${purpose}`, source: "percona", optional: false, restartOnChange: true });
    }
  }

  const ldap = identity?.ldap;
  if (ldap?.enabled && ldap.bindPasswordSecretRef) uses.push(userRef(ldap.bindPasswordSecretRef, "ldap.bindPassword"));
  // The server reads the CA once when it builds its LDAP TLS config, so a new CA needs a restart.
  if (ldap?.enabled && ldap.caCertSecretRef) uses.push(userRef(ldap.caCertSecretRef, "ldap.caCert"));

  const kerberos = identity?.kerberos;
  if (kerberos?.enabled) {
    if (kerberos.keytabSecretRef) uses.push(userRef(kerberos.keytabSecretRef, "kerberos.keytab"));
    if (kerberos.krb5ConfSecretRef) uses.push(userRef(kerberos.krb5ConfSecretRef, "kerberos.krb5Conf"));
    const machine = kerberos.machineAccount;
    if (machine?.enabled) {
      if (machine.secretRef) uses.push(userRef(machine.secretRef, "kerberos.machineAccount.secret"));
      if (machine.keytabSecretRef) uses.push(userRef(machine.keytabSecretRef, "kerberos.machineAccount.keytab"));
    }
  }

  const controlPlane = spec.controlPlane;
  if (controlPlane.certSecretName) {
    for (const key of ["tls.crt", "tls.key"]) {
      uses.push({ name: controlPlane.certSecretName, key, purpose: "controlPlane.tls", source: "user", optional: false, restartOnChange: false });
    }
    if (controlPlane.clientCASecretName) {
      uses.push({ name: controlPlane.clientCASecretName, key: "ca.crt", purpose: "controlPlane.clientCA", source: "user", optional: false, restartOnChange: true });
    }
  }

  const metrics = spec.metrics;
  if (metrics?.enabled && metrics.bearerTokenSecret) uses.push(userRef(metrics.bearerTokenSecret, "metrics.bearerToken"));
  return uses;
}

/**
 * Secret keys the operator reads and pushes through the DittoFS API instead of the pod consuming them: the S3
 * credentials and PostgreSQL connections of `spec.stores`. Never in the pod's env or the configuration hash (a
 * rotation is a PUT, not a restart); a missing one holds back only its store (`StoresReady`).
 */
export function apiPushedSecrets(server: DittoServer): SecretUse[] {
  const uses: SecretUse[] = [];
  const use = (name: string, key: string, purpose: string, optional = false): SecretUse => ({ name, key, purpose, source: "user", optional, restartOnChange: false });
  for (const store of server.spec.stores?.block ?? []) {
    const ref = store.type === "s3" ? store.s3?.credentialsSecretRef : undefined;
    if (!ref) continue;
    uses.push(use(ref.name, ref.accessKeyIdKey, `stores.block.${store.name}.accessKeyId`), use(ref.name, ref.secretAccessKeyKey, `stores.block.${store.name}.secretAccessKey`));
  }
  for (const store of server.spec.stores?.metadata ?? []) {
    const ref = store.type === "postgres" ? store.postgres?.connectionSecretRef : undefined;
    if (!ref) continue;
    for (const [field, key] of Object.entries(ref.keys)) uses.push(use(ref.name, key, `stores.metadata.${store.name}.${field}`, field === "port" || field === "sslmode"));
  }
  return uses;
}

/** Distinct Secret names the pod consumes or the API pass pushes: the values of the reconciler's `bySecretRef` index. */
export function referencedSecretNames(server: DittoServer): string[] {
  return [...new Set([...referencedSecrets(server), ...apiPushedSecrets(server)].map((use) => use.name))].sort();
}

/** A required Secret key that is not there (the whole Secret or just the key). */
export interface MissingSecret {
  name: string;
  key: string;
  purpose: string;
  source: SecretSource;
  /** True when the Secret itself is absent, false when only the key is. */
  secretAbsent: boolean;
}

export interface ConsumedSecrets {
  /** Input of `configHash`: only the keys whose change must restart the server. */
  hashValues: Record<string, string | undefined>;
  /** Required keys that are absent. */
  missing: MissingSecret[];
}

/**
 * Joins the consumed keys with the Secrets the reconciler observed (`secrets.get(name)` undefined = absent).
 * A key present with an empty value counts as present: Kubernetes injects it as an empty env var, and
 * emptiness is the server's to judge (it refuses short JWT secrets with a clear log line).
 */
export function consumedSecrets(uses: readonly SecretUse[], secrets: ReadonlyMap<string, KubeObject | undefined>): ConsumedSecrets {
  const hashValues: Record<string, string | undefined> = {};
  const missing: MissingSecret[] = [];
  for (const use of uses) {
    const secret = secrets.get(use.name);
    const data = (secret?.data ?? {}) as Record<string, string | undefined>;
    const value = data[use.key];
    if (use.restartOnChange) hashValues[secretValueKey(use.name, use.key)] = value;
    if (value === undefined && !use.optional) {
      missing.push({ name: use.name, key: use.key, purpose: use.purpose, source: use.source, secretAbsent: secret === undefined });
    }
  }
  return { hashValues, missing };
}
