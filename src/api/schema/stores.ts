/**
 * `spec.stores` and `status.stores`: the metadata and block stores the operator creates on the server through its
 * API. Paths are not fields: a badger store lives under the metadata volume and a local block store under the
 * content volume, at a directory named after the store (src/dittoserver/stores.ts), so a store can never point
 * outside the server's persistent volumes. An S3 block store takes its credentials, a PostgreSQL metadata store its
 * connection, from a Secret the operator reads and pushes through the API (docs/dittofs-api.md "Stores").
 */
import { Type } from "@sinclair/typebox";
import { PostgresSecretKeysSchema } from "./database.ts";
import { cel, DataKey, ObjectName, StringEnum } from "./helpers.ts";

/** A DNS label: safe as a directory name under the volume and as a name in the server's API paths. */
const STORE_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const StoreName = Type.String({
  description: "Name of the store on the server; also the name of its directory on the volume. A DNS label.",
  minLength: 1,
  maxLength: 63,
  pattern: STORE_NAME_PATTERN,
});

export const METADATA_STORE_TYPES = ["badger", "memory", "postgres"] as const;
export const BLOCK_STORE_TYPES = ["local", "memory", "s3"] as const;

/** S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit. */
const BUCKET_PATTERN = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

export const S3CredentialsSecretRefSchema = Type.Object(
  {
    name: ObjectName("Secret in the DittoServer's namespace holding the access key pair."),
    accessKeyIdKey: DataKey("Key of the access key ID in the Secret.", { default: "accessKeyId" }),
    secretAccessKeyKey: DataKey("Key of the secret access key in the Secret.", { default: "secretAccessKey" }),
  },
  {
    description:
      "The S3 access key pair. The operator reads it and pushes it to the server through the API; a change of the Secret's data " +
      "is pushed within a pass (rotation). The values never appear in status, events or logs.",
  },
);

export const S3BlockStoreSchema = Type.Object(
  {
    endpoint: Type.Optional(
      Type.String({
        description: "URL of an S3-compatible service (http or https, host and optional port). Omitted: AWS S3 of the region.",
        maxLength: 2048,
        ...cel({ rule: "self.matches('^https?://[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$')", message: "endpoint must be http(s)://host[:port], without path, query or credentials" }),
      }),
    ),
    bucket: Type.String({
      description: "The bucket; it must exist. S3 naming rules: 3-63 lowercase letters, digits, dots and hyphens.",
      minLength: 3,
      maxLength: 63,
      pattern: BUCKET_PATTERN,
      ...cel(
        { rule: "!self.contains('..')", message: "bucket must not contain two adjacent dots" },
        { rule: "!self.matches('^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')", message: "bucket must not be formatted as an IP address" },
      ),
    }),
    region: Type.Optional(Type.String({ description: "The bucket's region; the server assumes us-east-1 when omitted.", minLength: 1, maxLength: 32, pattern: "^[a-z0-9-]+$" })),
    prefix: Type.Optional(
      Type.String({
        description: "Key prefix of every block in the bucket, so several stores can share one bucket.",
        maxLength: 512,
        ...cel({ rule: "!self.startsWith('/')", message: "prefix must not start with a slash" }),
      }),
    ),
    forcePathStyle: Type.Optional(Type.Boolean({ description: "Path-style addressing (bucket in the path, not the host name). The server defaults it to true when an endpoint is set." })),
    allowPrivateEndpoint: Type.Optional(
      Type.Boolean({
        description:
          "Let the endpoint be a loopback or private address (an in-cluster S3 service). The server refuses such endpoints otherwise; " +
          "link-local addresses (cloud metadata) are refused always.",
      }),
    ),
    credentialsSecretRef: S3CredentialsSecretRefSchema,
  },
  { description: "Where an S3 block store keeps its blocks and how it authenticates." },
);

export const MetadataStoreSpecSchema = Type.Object(
  {
    name: StoreName,
    type: StringEnum(METADATA_STORE_TYPES, {
      description: "badger: persistent, on the metadata volume. memory: lost when the server restarts. postgres: in a PostgreSQL database (needs postgres).",
    }),
    postgres: Type.Optional(
      Type.Object(
        {
          connectionSecretRef: Type.Object(
            {
              name: ObjectName("Secret in the DittoServer's namespace holding the connection settings."),
              keys: PostgresSecretKeysSchema,
            },
            { description: "The connection, as for spec.database.postgresSecretRef (same keys and defaults); pushed through the API, never a pod restart." },
          ),
        },
        {
          description:
            "Where a postgres metadata store keeps its data: a database of its own (the server migrates its schema into it). The operator " +
            "reads the Secret and pushes the connection through the API; a change of its data is pushed within a pass. The password never " +
            "appears in status, events or logs.",
        },
      ),
    ),
  },
  {
    description: "A metadata store the operator creates on the server.",
    ...cel(
      { rule: "self.type != 'postgres' || has(self.postgres)", message: "a store of type postgres needs postgres.connectionSecretRef", reason: "FieldValueRequired", fieldPath: ".postgres" },
      { rule: "self.type == 'postgres' || !has(self.postgres)", message: "postgres is only for a store of type postgres", reason: "FieldValueForbidden", fieldPath: ".postgres" },
    ),
  },
);

export const BlockStoreSpecSchema = Type.Object(
  {
    name: StoreName,
    type: StringEnum(BLOCK_STORE_TYPES, {
      description:
        "local: persistent, on the content volume (needs storage.contentSize). memory: lost when the server restarts. " +
        "s3: a remote block store in an S3 bucket (needs s3).",
    }),
    s3: Type.Optional(S3BlockStoreSchema),
  },
  {
    description: "A block store the operator creates on the server: local (fs or memory) or remote (s3).",
    ...cel(
      { rule: "self.type != 's3' || has(self.s3)", message: "a store of type s3 needs s3 (bucket and credentialsSecretRef)", reason: "FieldValueRequired", fieldPath: ".s3" },
      { rule: "self.type == 's3' || !has(self.s3)", message: "s3 is only for a store of type s3", reason: "FieldValueForbidden", fieldPath: ".s3" },
    ),
  },
);

/** CEL: no two entries of the list `field` share a name. */
function uniqueNames(field: string) {
  return cel({ rule: "self.all(s, self.filter(t, t.name == s.name).size() == 1)", message: `stores.${field} has two stores with the same name` });
}

export const StoresSpecSchema = Type.Object(
  {
    metadata: Type.Optional(Type.Array(MetadataStoreSpecSchema, { description: "Metadata stores.", maxItems: 16, ...uniqueNames("metadata") })),
    block: Type.Optional(Type.Array(BlockStoreSpecSchema, { description: "Block stores, local and S3.", maxItems: 16, ...uniqueNames("block") })),
  },
  {
    description:
      "Stores the operator creates on the server and keeps there (drift made with dfsctl is reverted). A store removed from " +
      "this list is removed from the server only if the operator created it and no share uses it; stores made with dfsctl " +
      "are reported as unmanaged and left alone.",
  },
);

/** CEL rule of the spec object: a local block store needs the content volume. */
export const LOCAL_BLOCK_STORE_RULE = {
  rule: "!has(self.stores) || !has(self.stores.block) || !self.stores.block.exists(b, b.type == 'local') || has(self.storage.contentSize)",
  message: "stores.block: a store of type local lives on the content volume, which needs storage.contentSize",
  reason: "FieldValueRequired" as const,
  fieldPath: ".stores.block",
};

export const STORE_STATES = ["Created", "Unhealthy", "Pending", "Rejected", "InUse", "Conflict", "Unmanaged"] as const;

export const StoreStatusSchema = Type.Object(
  {
    kind: StringEnum(["metadata", "block", "remote"] as const, { description: "Metadata store, local block store (block) or remote block store (remote: s3)." }),
    name: Type.String({ description: "Name of the store on the server.", maxLength: 255 }),
    type: Type.String({ description: "The store's type as the server reports it (badger, memory, fs, s3).", maxLength: 63 }),
    state: StringEnum(STORE_STATES, {
      description:
        "Created: the operator created it and it is as specified. Unhealthy: created as specified, but the server's probe of it " +
        "fails (an S3 store with wrong credentials or an unreachable bucket). Pending: not created or corrected yet. Rejected: the server refused it. " +
        "InUse: it left the spec but a share uses it, so it stays. Conflict: a store of that name exists that the operator did not create " +
        "(left alone). Unmanaged: made with dfsctl, not in the spec (left alone).",
    }),
    message: Type.Optional(Type.String({ description: "Why the store is not as specified.", maxLength: 1024 })),
  },
  { description: "A store on the server and where it stands." },
);

/** Spread into the status schema. */
export const StoresStatusFields = {
  stores: Type.Optional(
    Type.Array(StoreStatusSchema, {
      description:
        "Stores of spec.stores and the other stores on the server. A Created entry is the operator's record of what it may change or remove.",
      maxItems: 256,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["kind", "name"],
    }),
  ),
};
