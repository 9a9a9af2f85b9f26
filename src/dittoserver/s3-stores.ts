/**
 * S3 block stores of `spec.stores`: the server config of one (the remote kind, type `s3`) and its access key pair,
 * read from the Secret `credentialsSecretRef` names. The server masks the secret access key on every read, so the
 * pair is never compared with what it reports: a fingerprint of it (a hash, kept in memory only) tells the sync
 * when the Secret changed and the pair must be pushed again.
 */
import { createHash } from "node:crypto";
import type { StoresSpec } from "../api/types.ts";

export type S3BlockStoreSpec = NonNullable<NonNullable<StoresSpec["block"]>[number]["s3"]>;

/** The settings of an S3 store the server reports back as given (everything but the secret access key). */
export function s3Config(s3: S3BlockStoreSpec): Record<string, string | boolean> {
  const config: Record<string, string | boolean> = { bucket: s3.bucket };
  if (s3.endpoint !== undefined) config.endpoint = s3.endpoint;
  if (s3.region !== undefined) config.region = s3.region;
  if (s3.prefix !== undefined) config.prefix = s3.prefix;
  if (s3.forcePathStyle !== undefined) config.force_path_style = s3.forcePathStyle;
  if (s3.allowPrivateEndpoint !== undefined) config.allow_private_endpoint = s3.allowPrivateEndpoint;
  return config;
}

/** A Secret's data, decoded; undefined when the Secret is absent. */
export type SecretLookup = (name: string) => Record<string, string> | undefined;

/** An S3 store's access key pair as the Secret holds it, or why it cannot be read. */
export type S3Credentials =
  | {
      ok: true;
      /** Reported back by the server as given: part of the compared config. */
      accessKeyId: string;
      secretAccessKey: string;
      /** A hash of the pair: tells a rotation without keeping the secret. */
      fingerprint: string;
    }
  | { ok: false; message: string };

export function s3Credentials(s3: S3BlockStoreSpec, secret: SecretLookup): S3Credentials {
  const ref = s3.credentialsSecretRef;
  const data = secret(ref.name);
  if (!data) return { ok: false, message: `waiting for Secret ${ref.name} (credentialsSecretRef)` };
  const accessKeyId = data[ref.accessKeyIdKey] ?? "";
  const secretAccessKey = data[ref.secretAccessKeyKey] ?? "";
  const empty = [accessKeyId === "" ? ref.accessKeyIdKey : undefined, secretAccessKey === "" ? ref.secretAccessKeyKey : undefined].filter((k) => k !== undefined);
  if (empty.length > 0) return { ok: false, message: `Secret ${ref.name} (credentialsSecretRef) has no value for ${empty.join(" and ")}` };
  const fingerprint = createHash("sha256").update(`${accessKeyId.length}:${accessKeyId}${secretAccessKey}`).digest("hex");
  return { ok: true, accessKeyId, secretAccessKey, fingerprint };
}
