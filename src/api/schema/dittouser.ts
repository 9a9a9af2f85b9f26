/**
 * The DittoUser object schema: one DittoFS user, kept on the server named by `spec.serverRef` through its REST API.
 *
 * Username rules: the server itself only requires a non-empty name of at most 255 bytes, but the name travels in
 * API paths (`/users/{name}`, `/shares/{s}/permissions/users/{name}`) and to NFS/SMB clients, so the operator admits
 * a portable subset. `admin` (the bootstrap account) and `k8s-operator` (the operator's own) can never be managed;
 * `me` would address `POST /users/me/password`, the caller's own password, instead of the user's.
 */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { BOUND_OWNERSHIPS, PERMISSION_LEVELS, RECLAIM_POLICIES, ServerRefSchema } from "./bound.ts";
import { cel, DataKey, immutable, ObjectMetaSchema, ObjectName, StringEnum } from "./helpers.ts";
import type { CelRule } from "./helpers.ts";
import { ConditionSchema } from "./status.ts";

export const USER_KIND = "DittoUser";

export const USERNAME_PATTERN = "^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$";
export const MAX_USERNAME_LENGTH = 64;
/** Accounts no DittoUser may name. */
export const RESERVED_USERNAMES = ["admin", "k8s-operator", "me"] as const;
const RESERVED_LIST = `[${RESERVED_USERNAMES.map((n) => `'${n}'`).join(", ")}]`;

export const USER_ROLES = ["user", "operator", "admin"] as const;

/** Share names as the server accepts them in paths; `export` and `/export` are the same share. */
const SHARE_NAME_PATTERN = "^/?[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$";
export const GROUP_NAME_PATTERN = "^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$";
/** A Unix id the server stores (uint32); 0 (root) is refused: a file server account must not map to root. */
export const UnixId = (description: string) => Type.Integer({ description, format: "int64", minimum: 1, maximum: 4294967294 });

export const SharePermissionSchema = Type.Object(
  {
    share: Type.String({ description: "Share name (`/export` or `export`: the server adds the leading `/`).", minLength: 1, maxLength: 255, pattern: SHARE_NAME_PATTERN }),
    level: StringEnum(PERMISSION_LEVELS, { description: "none, read, read-write or admin." }),
  },
  { description: "A grant on one share." },
);

/** CEL over a share name `n`: the name with exactly one leading `/`, as the server stores it. */
const normalised = (n: string) => `(${n}.startsWith('/') ? ${n} : '/' + ${n})`;

/** The grants of a user or group on shares, one per share. */
export function SharePermissions(what: string, kind: string) {
  return Type.Optional(
    Type.Array(SharePermissionSchema, {
      description: `The ${what}'s grants on shares. Only grants this ${kind} set are ever removed.`,
      maxItems: 64,
      ...cel({
        rule: `self.all(p, self.filter(q, ${normalised("q.share")} == ${normalised("p.share")}).size() == 1)`,
        message: "sharePermissions names the same share twice (`x` and `/x` are the same share)",
      }),
    }),
  );
}

const PasswordSecretRefSchema = Type.Object(
  {
    name: ObjectName("Name of the Secret, in this object's namespace."),
    key: DataKey("Key holding the password.", { default: "password" }),
  },
  { description: "Where the password is read. When absent the operator generates one into the Secret `<name>-password`, which it owns." },
);

export const DittoUserSpecSchema = Type.Object(
  {
    serverRef: ServerRefSchema,
    username: Type.Optional(
      Type.String({
        description: `Name of the user on the server; default metadata.name. Letters, digits, '_', '.', '-'; at most ${MAX_USERNAME_LENGTH}.`,
        minLength: 1,
        maxLength: MAX_USERNAME_LENGTH,
        pattern: USERNAME_PATTERN,
        ...cel({ rule: `!(self in ${RESERVED_LIST})`, messageExpression: `'username ' + self + ' is reserved: admin, k8s-operator and me can never be managed'` }),
      }),
    ),
    role: StringEnum(USER_ROLES, { description: "user, operator or admin. An admin may manage the server through its API.", default: "user" }),
    enabled: Type.Boolean({ description: "A disabled user can neither log in nor mount.", default: true }),
    displayName: Type.Optional(Type.String({ description: "Display name. Left as it is on the server when absent.", maxLength: 255 })),
    email: Type.Optional(
      Type.String({ description: "E-mail address. Left as it is on the server when absent.", maxLength: 255, pattern: "^[^@\\s]+@[^@\\s]+$" }),
    ),
    uid: Type.Optional(UnixId("Unix user id for NFS (unique on the server). Left as it is when absent.")),
    gid: Type.Optional(UnixId("Unix primary group id. Left as it is when absent.")),
    groups: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 255, pattern: GROUP_NAME_PATTERN }), {
        description: "Names of the server groups the user belongs to, exactly (memberships are left as they are when absent).",
        maxItems: 64,
        "x-kubernetes-list-type": "set",
      }),
    ),
    sharePermissions: SharePermissions("user", "DittoUser"),
    passwordSecretRef: Type.Optional(PasswordSecretRefSchema),
    reclaimPolicy: StringEnum(RECLAIM_POLICIES, {
      description: "Retain: deleting the DittoUser leaves the user on the server. Delete: the operator deletes it (only a user it created or adopted).",
      default: "Retain",
    }),
  },
  {
    description: "A DittoFS user the operator keeps on a DittoServer.",
    ...cel(immutable("serverRef", "serverRef"), {
      rule: "has(self.username) == has(oldSelf.username) && (!has(self.username) || self.username == oldSelf.username)",
      message: "username is immutable: delete the DittoUser and create another to rename",
      fieldPath: ".username",
    }),
  },
);

/** How this DittoUser came to own the server's user (absent: it does not). */
export const DittoUserStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ description: "metadata.generation last reconciled.", format: "int64" })),
    username: Type.Optional(Type.String({ description: "The user on the server this object manages.", maxLength: 255 })),
    ownership: Type.Optional(
      StringEnum(BOUND_OWNERSHIPS, {
        description: "Creating: about to be created (recorded first, so a crash after the create still finds it ours). Created, Adopted: managed.",
      }),
    ),
    passwordSecret: Type.Optional(Type.String({ description: "The Secret the password is read from (generated or named).", maxLength: 253 })),
    passwordVersion: Type.Optional(
      Type.String({ description: "uid/resourceVersion of the password Secret when the password was last set (never the password or a hash).", maxLength: 128 }),
    ),
    sharePermissions: Type.Optional(Type.Array(SharePermissionSchema, { description: "The grants this DittoUser set (only these are ever removed).", maxItems: 64 })),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, { description: "Ready and Synced.", maxItems: 8, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] }),
    ),
  },
  { description: "Observed state of the DittoUser, written by the operator." },
);


/** Root rules: the username defaults to metadata.name, which must then obey the username rules too. */
export const USER_ROOT_RULES: CelRule[] = [
  {
    rule: `has(self.spec.username) || (self.metadata.name.size() <= ${MAX_USERNAME_LENGTH} && !(self.metadata.name in ${RESERVED_LIST}))`,
    message: `spec.username is required when metadata.name is reserved (admin, k8s-operator, me) or longer than ${MAX_USERNAME_LENGTH}`,
    reason: "FieldValueRequired",
    fieldPath: ".spec.username",
  },
];

export const DittoUserSchema = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    metadata: ObjectMetaSchema,
    spec: DittoUserSpecSchema,
    status: Type.Optional(DittoUserStatusSchema),
  },
  { description: "DittoUser declares one DittoFS user (role, groups, share grants, password from a Secret) on a DittoServer.", ...cel(...USER_ROOT_RULES) },
);

export type DittoUser = Static<typeof DittoUserSchema>;
export type DittoUserSpec = Static<typeof DittoUserSpecSchema>;
export type DittoUserStatus = Static<typeof DittoUserStatusSchema>;
export type UserOwnership = NonNullable<DittoUserStatus["ownership"]>;
export type UserSharePermission = NonNullable<DittoUserSpec["sharePermissions"]>[number];
