/**
 * The DittoShare's own condition reasons and events (docs/conditions.md, docs/dittoshare.md); the framework's
 * (server resolution, API failures, InSync) are in ../serverbound/reasons.ts.
 */

export const SHARE_REASON = {
  /** Ready: the share exists on the server and is this DittoShare's. */
  ShareReady: "ShareReady",
  /** A share of that name exists that this DittoShare neither created nor adopted: left alone. */
  ShareUnmanaged: "ShareUnmanaged",
  /** The share cannot be created yet: a store it names does not exist on the server. */
  StoreNotFound: "StoreNotFound",
  /** Synced: a grant names a user or group the server does not have (yet). */
  PrincipalNotFound: "PrincipalNotFound",
  /** Synced: the DittoServer's spec.snapshotPolicies has this share's policy, which wins. */
  SnapshotPolicyConflict: "SnapshotPolicyConflict",
} as const;

export const SHARE_EVENT = {
  ShareCreated: "ShareCreated",
  ShareAdopted: "ShareAdopted",
  /** Managed fields, grants, squash or the policy were set to the spec (a change, or drift reverted). */
  ShareUpdated: "ShareUpdated",
  ShareDeleted: "ShareDeleted",
  /** reclaimPolicy Delete, but the share on the server is not the one this DittoShare recorded. */
  ShareNotDeleted: "ShareNotDeleted",
} as const;
