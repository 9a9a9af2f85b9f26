/**
 * Stores of `spec.stores` whose settings come partly from a Secret the operator reads and pushes through the API:
 * an S3 block store (its access key pair) and a PostgreSQL metadata store (its connection). The server masks the
 * secret values (the secret access key, the password) on every read, so they are never compared with what it
 * reports: a fingerprint of them (a hash, kept in memory only) tells the sync when the Secret changed and the store
 * must be pushed again. The other values are reported back as given and compared like any setting.
 */
import { createHash } from "node:crypto";
import type { StoresSpec } from "../api/types.ts";

export type S3BlockStoreSpec = NonNullable<NonNullable<StoresSpec["block"]>[number]["s3"]>;
export type PostgresMetadataStoreSpec = NonNullable<NonNullable<StoresSpec["metadata"]>[number]["postgres"]>;

export type StoreSetting = string | number | boolean;

/** A Secret's data, decoded; undefined when the Secret is absent. */
export type SecretLookup = (name: string) => Record<string, string> | undefined;

/** A store's settings with the Secret's values, or why the Secret cannot give them. */
export type SecretSettings =
  | {
      ok: true;
      /** Reported back by the server as given: compared. */
      config: Record<string, StoreSetting>;
      /** Masked by the server on reads: pushed, never compared. */
      secret: Record<string, string>;
      /** A hash of `secret`: tells a rotation without keeping the secret. */
      fingerprint: string;
    }
  | { ok: false; message: string };

function fingerprint(secret: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const [k, v] of Object.entries(secret).sort(([a], [b]) => a.localeCompare(b))) hash.update(`${k.length}:${k}${v.length}:${v}`);
  return hash.digest("hex");
}

/** The values of `keys` in the Secret `name`; the message names what is missing among `required`. */
function read(name: string, what: string, keys: Record<string, string>, required: readonly string[], secret: SecretLookup): { ok: true; values: Record<string, string> } | { ok: false; message: string } {
  const data = secret(name);
  if (!data) return { ok: false, message: `waiting for Secret ${name} (${what})` };
  const values = Object.fromEntries(Object.entries(keys).flatMap(([field, key]) => (data[key] ? [[field, data[key]]] : [])));
  const empty = required.filter((field) => values[field] === undefined).map((field) => keys[field]);
  if (empty.length > 0) return { ok: false, message: `Secret ${name} (${what}) has no value for ${empty.join(" and ")}` };
  return { ok: true, values };
}

/** An S3 store: the server's config keys, with the access key pair of `credentialsSecretRef`. */
export function s3Settings(s3: S3BlockStoreSpec, secret: SecretLookup): SecretSettings {
  const ref = s3.credentialsSecretRef;
  const pair = read(ref.name, "credentialsSecretRef", { accessKeyId: ref.accessKeyIdKey, secretAccessKey: ref.secretAccessKeyKey }, ["accessKeyId", "secretAccessKey"], secret);
  if (!pair.ok) return pair;
  const config: Record<string, StoreSetting> = { bucket: s3.bucket };
  if (s3.endpoint !== undefined) config.endpoint = s3.endpoint;
  if (s3.region !== undefined) config.region = s3.region;
  if (s3.prefix !== undefined) config.prefix = s3.prefix;
  if (s3.forcePathStyle !== undefined) config.force_path_style = s3.forcePathStyle;
  if (s3.allowPrivateEndpoint !== undefined) config.allow_private_endpoint = s3.allowPrivateEndpoint;
  config.access_key_id = pair.values.accessKeyId ?? "";
  const masked = { secret_access_key: pair.values.secretAccessKey ?? "" };
  return { ok: true, config, secret: masked, fingerprint: fingerprint(masked) };
}

/** A PostgreSQL metadata store: the server's config keys from `connectionSecretRef` (port and sslmode optional). */
export function postgresSettings(postgres: PostgresMetadataStoreSpec, secret: SecretLookup): SecretSettings {
  const ref = postgres.connectionSecretRef;
  const connection = read(ref.name, "connectionSecretRef", ref.keys, ["host", "database", "user", "password"], secret);
  if (!connection.ok) return connection;
  const { host = "", port, database = "", user = "", password = "", sslmode } = connection.values;
  const config: Record<string, StoreSetting> = { host, database, user };
  if (port !== undefined) {
    // The server reads the port as a JSON number.
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { ok: false, message: `Secret ${ref.name} (connectionSecretRef): ${ref.keys.port} is not a port number` };
    config.port = Number(port);
  }
  if (sslmode !== undefined) config.sslmode = sslmode;
  const masked = { password };
  return { ok: true, config, secret: masked, fingerprint: fingerprint(masked) };
}
