/**
 * The DittoShare object schema: one share on a DittoServer, created and kept as specified through the server's
 * REST API (src/dittoshare). Field names follow the server's share API in camelCase.
 */
import { Type } from "@sinclair/typebox";
import type { Static } from "@sinclair/typebox";
import { API_VERSION } from "../constants.ts";
import { SnapshotPolicySpecSchema } from "./dittofs-api.ts";
import { BOUND_OWNERSHIPS, PERMISSION_LEVELS, RECLAIM_POLICIES, ServerRefSchema } from "./bound.ts";
import { cel, immutableOptional, ObjectMetaSchema, StringEnum } from "./helpers.ts";
import { ConditionSchema } from "./status.ts";

export const SHARE_KIND = "DittoShare";
export const SQUASH_MODES = ["none", "root_to_admin", "root_to_guest", "all_to_admin", "all_to_guest"] as const;

// `[.]` rather than `\.`: the pattern also sits in CEL string literals.
const SEGMENT = "[A-Za-z0-9][A-Za-z0-9_.-]*";
const PRINCIPAL_PATTERN = "^[^/\\s]+$";
const STORE_REF_PATTERN = "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$";

const StoreRef = (description: string) => Type.String({ description, minLength: 1, maxLength: 255, pattern: STORE_REF_PATTERN });

const Grant = (what: "user" | "group") =>
  Type.Object(
    {
      name: Type.String({ description: `Name of the ${what} on the server (a DittoUser/DittoGroup, or one made with dfsctl).`, minLength: 1, maxLength: 255, pattern: PRINCIPAL_PATTERN }),
      level: StringEnum(PERMISSION_LEVELS, { description: `Permission of the ${what} on the share.` }),
    },
    { description: `A ${what}'s permission on the share.` },
  );

const grants = (what: "user" | "group") =>
  Type.Optional(
    Type.Array(Grant(what), {
      description: `Permissions of ${what}s, one entry per ${what}. Only entries this DittoShare set are ever removed.`,
      maxItems: 64,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
    }),
  );

const { share: _share, ...policyFields } = SnapshotPolicySpecSchema.properties;

export const DittoSharePolicySchema = Type.Object(policyFields, {
  description:
    "The share's scheduled snapshot policy. A policy for the same share in the DittoServer's spec.snapshotPolicies wins: the " +
    "DittoShare then reports Synced=False SnapshotPolicyConflict and leaves the policy alone.",
});

export const DittoShareSpecSchema = Type.Object(
  {
    serverRef: ServerRefSchema,
    shareName: Type.Optional(
      Type.String({
        description: "Name of the share on the server, e.g. /export (one leading / is added when missing). Defaults to /<metadata.name>. Immutable.",
        minLength: 1,
        maxLength: 255,
        pattern: `^/?${SEGMENT}(/${SEGMENT})*$`,
      }),
    ),
    metadataStore: StoreRef("Name of the metadata store the share's file tree lives in (DittoServer spec.stores, or one made with dfsctl). Immutable."),
    localBlockStore: StoreRef("Name of the local block store of the share's content. Immutable."),
    remoteBlockStore: Type.Optional(StoreRef("Name of a remote block store the content is mirrored to. Immutable.")),
    readOnly: Type.Boolean({ description: "Clients may only read.", default: false }),
    enabled: Type.Boolean({ description: "Whether the server exports the share; false disables it (sessions are dropped), keeping its data.", default: true }),
    defaultPermission: StringEnum(PERMISSION_LEVELS, { description: "Permission of users without a grant of their own.", default: "none" }),
    squash: Type.Optional(StringEnum(SQUASH_MODES, { description: "NFS identity squashing of the share; the server's default (root_to_guest) when omitted." })),
    permissions: Type.Optional(Type.Object({ users: grants("user"), groups: grants("group") }, { description: "Grants of users and groups on the share." })),
    snapshotPolicy: Type.Optional(DittoSharePolicySchema),
    reclaimPolicy: StringEnum(RECLAIM_POLICIES, {
      description: "What deleting the DittoShare does to the share: Retain leaves it (and its files) on the server, Delete removes it.",
      default: "Retain",
    }),
  },
  {
    description: "Desired state of one share on a DittoServer.",
    ...cel(
      { rule: "self.serverRef.name == oldSelf.serverRef.name", message: "serverRef.name is immutable: create a new DittoShare for another server", fieldPath: ".serverRef.name" },
      immutableOptional("shareName", "shareName"),
      { rule: "self.metadataStore == oldSelf.metadataStore", message: "metadataStore is immutable: the share's files live in it", fieldPath: ".metadataStore" },
      { rule: "self.localBlockStore == oldSelf.localBlockStore", message: "localBlockStore is immutable: the share's content lives in it", fieldPath: ".localBlockStore" },
      immutableOptional("remoteBlockStore", "remoteBlockStore"),
    ),
  },
);

const RecordedGrant = Type.Object(
  { name: Type.String({ description: "User or group name.", maxLength: 255 }), level: Type.String({ description: "Level set.", maxLength: 32 }) },
  { description: "A grant this DittoShare set." },
);
const recorded = (what: string) => Type.Optional(Type.Array(RecordedGrant, { description: `${what} grants this DittoShare set (the only ones it removes).`, maxItems: 64 }));

export const DittoShareStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ description: "metadata.generation this status reflects.", format: "int64", minimum: 0 })),
    server: Type.Optional(Type.String({ description: "The DittoServer the share is on.", maxLength: 253 })),
    shareName: Type.Optional(Type.String({ description: "The share's name on the server (normalised).", maxLength: 256 })),
    shareID: Type.Optional(Type.String({ description: "The share's id on the server: only the share with this id is changed or deleted.", maxLength: 64 })),
    ownership: Type.Optional(
      StringEnum(BOUND_OWNERSHIPS, {
        description: "Creating: recorded before the create call (a crash after it does not orphan the share). Created: made by this DittoShare. Adopted: taken over with the adopt annotation.",
      }),
    ),
    permissions: Type.Optional(Type.Object({ users: recorded("User"), groups: recorded("Group") }, { description: "The grants this DittoShare set." })),
    snapshotPolicy: Type.Optional(Type.Object(policyFields, { description: "The snapshot policy this DittoShare applied." })),
    conditions: Type.Optional(
      Type.Array(Type.Object(ConditionSchema.properties, { description: "Observation of one aspect of the DittoShare (metav1.Condition)." }), {
        description: "Current conditions (Ready, Synced).",
        maxItems: 8,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      }),
    ),
  },
  { description: "Observed state of the DittoShare, written by the operator." },
);

export const DittoShareSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION, { description: `APIVersion of the object: ${API_VERSION}.` }),
    kind: Type.Literal(SHARE_KIND, { description: `Kind of the object: ${SHARE_KIND}.` }),
    metadata: ObjectMetaSchema,
    spec: DittoShareSpecSchema,
    status: Type.Optional(DittoShareStatusSchema),
  },
  { description: "DittoShare is one share on a DittoServer, created and kept as specified through the server's API." },
);

export type DittoShare = Static<typeof DittoShareSchema>;
export type DittoShareSpec = Static<typeof DittoShareSpecSchema>;
export type DittoShareStatus = Static<typeof DittoShareStatusSchema>;
export type DittoSharePolicy = Static<typeof DittoSharePolicySchema>;
