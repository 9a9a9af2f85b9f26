/**
 * The DittoGroup object schema: one DittoFS group (name, gid, description, share grants) on the server named by
 * `spec.serverRef`. Members are not listed here: a DittoUser names its groups. The server's system groups
 * (`admins`, `operators`, `users`) are created by the server itself and can never be managed.
 */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { BOUND_OWNERSHIPS, RECLAIM_POLICIES, ServerRefSchema } from "./bound.ts";
import { cel, immutable, ObjectMetaSchema, StringEnum } from "./helpers.ts";
import type { CelRule } from "./helpers.ts";
import { GROUP_NAME_PATTERN, SharePermissions, SharePermissionSchema, UnixId } from "./dittouser.ts";
import { ConditionSchema } from "./status.ts";

export const GROUP_KIND = "DittoGroup";
export const MAX_GROUP_NAME_LENGTH = 64;
/** Created by the server at start-up; they cannot be deleted, and the operator does not manage them. */
export const SYSTEM_GROUPS = ["admins", "operators", "users"] as const;
const SYSTEM_LIST = `[${SYSTEM_GROUPS.map((n) => `'${n}'`).join(", ")}]`;

export const DittoGroupSpecSchema = Type.Object(
  {
    serverRef: ServerRefSchema,
    groupName: Type.Optional(
      Type.String({
        description: `Name of the group on the server; default metadata.name. Letters, digits, '_', '.', '-'; at most ${MAX_GROUP_NAME_LENGTH}.`,
        minLength: 1,
        maxLength: MAX_GROUP_NAME_LENGTH,
        pattern: GROUP_NAME_PATTERN,
        ...cel({ rule: `!(self in ${SYSTEM_LIST})`, messageExpression: `'groupName ' + self + ' is a system group of the server (admins, operators, users): it cannot be managed'` }),
      }),
    ),
    gid: Type.Optional(UnixId("Unix group id (unique on the server). Left as it is when absent.")),
    description: Type.Optional(Type.String({ description: "Description. Left as it is on the server when absent.", maxLength: 1024 })),
    sharePermissions: SharePermissions("group", "DittoGroup"),
    reclaimPolicy: StringEnum(RECLAIM_POLICIES, {
      description: "Retain: deleting the DittoGroup leaves the group on the server. Delete: the operator deletes it (only a group it created or adopted).",
      default: "Retain",
    }),
  },
  {
    description: "A DittoFS group the operator keeps on a DittoServer.",
    ...cel(immutable("serverRef", "serverRef"), {
      rule: "has(self.groupName) == has(oldSelf.groupName) && (!has(self.groupName) || self.groupName == oldSelf.groupName)",
      message: "groupName is immutable: delete the DittoGroup and create another to rename",
      fieldPath: ".groupName",
    }),
  },
);

export const DittoGroupStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ description: "metadata.generation last reconciled.", format: "int64" })),
    groupName: Type.Optional(Type.String({ description: "The group on the server this object manages.", maxLength: 255 })),
    ownership: Type.Optional(
      StringEnum(BOUND_OWNERSHIPS, {
        description: "Creating: about to be created (recorded first, so a crash after the create still finds it ours). Created, Adopted: managed.",
      }),
    ),
    sharePermissions: Type.Optional(Type.Array(SharePermissionSchema, { description: "The grants this DittoGroup set (only these are ever removed).", maxItems: 64 })),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, { description: "Ready and Synced.", maxItems: 8, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] }),
    ),
  },
  { description: "Observed state of the DittoGroup, written by the operator." },
);

/** Root rules: the group name defaults to metadata.name, which must then obey the group name rules too. */
const GROUP_ROOT_RULES: CelRule[] = [
  {
    rule: `has(self.spec.groupName) || (self.metadata.name.size() <= ${MAX_GROUP_NAME_LENGTH} && !(self.metadata.name in ${SYSTEM_LIST}))`,
    message: `spec.groupName is required when metadata.name is a system group (admins, operators, users) or longer than ${MAX_GROUP_NAME_LENGTH}`,
    reason: "FieldValueRequired",
    fieldPath: ".spec.groupName",
  },
];

export const DittoGroupSchema = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    metadata: ObjectMetaSchema,
    spec: DittoGroupSpecSchema,
    status: Type.Optional(DittoGroupStatusSchema),
  },
  { description: "DittoGroup declares one DittoFS group (gid, share grants) on a DittoServer; DittoUsers name it in spec.groups.", ...cel(...GROUP_ROOT_RULES) },
);

export type DittoGroup = Static<typeof DittoGroupSchema>;
export type DittoGroupStatus = Static<typeof DittoGroupStatusSchema>;
