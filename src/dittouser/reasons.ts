/** Reasons the DittoUser and DittoGroup kinds add to the server-bound ones (docs/conditions.md). */
export const USER_REASONS = {
  /** Ready=True: the user exists on the server and this DittoUser manages it. */
  UserExists: "UserExists",
  /** Event: reclaimPolicy Delete removed the user from the server. */
  UserDeleted: "UserDeleted",
  /** Ready=True of a DittoGroup: the group exists on the server and this DittoGroup manages it. */
  GroupExists: "GroupExists",
  /** A group of that name exists that this DittoGroup neither created nor adopted: left untouched. */
  GroupUnmanaged: "GroupUnmanaged",
  /** Event: reclaimPolicy Delete removed the group from the server. */
  GroupDeleted: "GroupDeleted",
  /** A user of that name exists that this DittoUser neither created nor adopted: left untouched. */
  UserUnmanaged: "UserUnmanaged",
  /** A DittoShare grants the user another level on a share; the DittoShare wins. */
  PermissionConflict: "PermissionConflict",
  /** A group in spec.groups does not exist on the server (retried at each poll; a DittoGroup appearing wakes it). */
  GroupNotFound: "GroupNotFound",
  /** A share in spec.sharePermissions does not exist on the server. */
  ShareNotFound: "ShareNotFound",
  /** spec.passwordSecretRef names a Secret or key that does not exist. */
  PasswordSecretNotFound: "PasswordSecretNotFound",
} as const;

export type UserReason = (typeof USER_REASONS)[keyof typeof USER_REASONS];
