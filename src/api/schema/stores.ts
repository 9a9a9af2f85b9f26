/**
 * `spec.stores` and `status.stores`: the metadata and block stores the operator creates on the server through its
 * API. Paths are not fields: a badger store lives under the metadata volume and a local block store under the
 * content volume, at a directory named after the store (src/dittoserver/stores.ts), so a store can never point
 * outside the server's persistent volumes. PostgreSQL metadata stores are not offered yet.
 */
import { Type } from "@sinclair/typebox";
import { cel, StringEnum } from "./helpers.ts";

/** A DNS label: safe as a directory name under the volume and as a name in the server's API paths. */
const STORE_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const StoreName = Type.String({
  description: "Name of the store on the server; also the name of its directory on the volume. A DNS label.",
  minLength: 1,
  maxLength: 63,
  pattern: STORE_NAME_PATTERN,
});

export const METADATA_STORE_TYPES = ["badger", "memory"] as const;
export const BLOCK_STORE_TYPES = ["local", "memory"] as const;

export const MetadataStoreSpecSchema = Type.Object(
  {
    name: StoreName,
    type: StringEnum(METADATA_STORE_TYPES, { description: "badger: persistent, on the metadata volume. memory: lost when the server restarts." }),
  },
  { description: "A metadata store the operator creates on the server." },
);

export const BlockStoreSpecSchema = Type.Object(
  {
    name: StoreName,
    type: StringEnum(BLOCK_STORE_TYPES, {
      description: "local: persistent, on the content volume (needs storage.contentSize). memory: lost when the server restarts.",
    }),
  },
  { description: "A local block store the operator creates on the server." },
);

/** CEL: no two entries of the list `field` share a name. */
function uniqueNames(field: string) {
  return cel({ rule: "self.all(s, self.filter(t, t.name == s.name).size() == 1)", message: `stores.${field} has two stores with the same name` });
}

export const StoresSpecSchema = Type.Object(
  {
    metadata: Type.Optional(Type.Array(MetadataStoreSpecSchema, { description: "Metadata stores.", maxItems: 16, ...uniqueNames("metadata") })),
    block: Type.Optional(Type.Array(BlockStoreSpecSchema, { description: "Local block stores.", maxItems: 16, ...uniqueNames("block") })),
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

export const STORE_STATES = ["Created", "Pending", "Rejected", "InUse", "Conflict", "Unmanaged"] as const;

export const StoreStatusSchema = Type.Object(
  {
    kind: StringEnum(["metadata", "block"] as const, { description: "Metadata or (local) block store." }),
    name: Type.String({ description: "Name of the store on the server.", maxLength: 255 }),
    type: Type.String({ description: "The store's type as the server reports it (badger, memory, fs).", maxLength: 63 }),
    state: StringEnum(STORE_STATES, {
      description:
        "Created: the operator created it and it is as specified. Pending: not created or corrected yet. Rejected: the server refused it. " +
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
