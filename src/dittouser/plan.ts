/**
 * What to do with one DittoUser's user on its server (pure): from the spec, what the server has and what this
 * DittoUser recorded in its status, the ordered API steps and the next record.
 *
 * Ownership: only a user this DittoUser created (status.ownership Creating/Created) or adopted (annotation) is ever
 * changed. The plan answers `claimOnly` for a new user: the shell records `Creating` in status before the POST
 * (`SyncContext.record`), so a crash between the POST and the final status write still finds the user ours at the
 * next pass instead of reporting it unmanaged.
 *
 * Password: set again whenever the Secret's version differs from the recorded one, or the server says the user must
 * change it (an admin reset re-arms that for admin-role users); an admin-role user then clears it by itself.
 *
 * Share grants: ./grants.ts (only the grants this DittoUser set are removed; a DittoShare's grant wins).
 */
import type { DittoUser, UserOwnership, UserSharePermission } from "../api/schema/dittouser.ts";
import type { PermissionLevel, UserFields, UserRecord } from "../dittofs/wire-users.ts";
import type { Role } from "../dittofs/wire.ts";
import { normalizeShare } from "../dittoserver/snapshot-policies.ts";
import { planGrants } from "./grants.ts";
import type { GrantStep, Problem, ShareGrantClaim } from "./grants.ts";
import { claimOf, unmanagedMessage } from "./ownership.ts";
import { USER_REASONS } from "./reasons.ts";

export interface DesiredUser {
  username: string;
  role: Role;
  enabled: boolean;
  displayName?: string | undefined;
  email?: string | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
  /** Undefined: memberships are not managed. */
  groups?: string[] | undefined;
  /** Share names with one leading `/`, as the server stores them. */
  sharePermissions: { share: string; level: PermissionLevel }[];
}

export function desiredUser(user: DittoUser): DesiredUser {
  const spec = user.spec;
  return {
    username: spec.username ?? user.metadata.name ?? "",
    role: spec.role,
    enabled: spec.enabled,
    displayName: spec.displayName,
    email: spec.email,
    uid: spec.uid,
    gid: spec.gid,
    groups: spec.groups,
    sharePermissions: (spec.sharePermissions ?? []).map((p) => ({ share: normalizeShare(p.share), level: p.level })),
  };
}

/** The password to set and the non-secret version it is recorded by (the Secret's uid/resourceVersion). */
export interface Password {
  value: string;
  version: string;
}

export interface ObservedUser {
  /** Undefined when the server has no such user. */
  user: UserRecord | undefined;
  /** This user's grant level on each share of interest (undefined: no grant). Shares the server lacks are absent. */
  grants: ReadonlyMap<string, string | undefined>;
  /** Group names on the server; undefined when not read (spec.groups absent). */
  serverGroups?: ReadonlySet<string> | undefined;
}

export interface UserRecordState {
  ownership?: UserOwnership | undefined;
  passwordVersion?: string | undefined;
  sharePermissions: readonly UserSharePermission[];
}

export type UserStep =
  | { op: "create"; fields: UserFields & { role: Role } }
  | { op: "update"; changes: UserFields }
  | { op: "setPassword" }
  /** Log in as the user and set the same password: clears the must-change an admin-role user gets from a reset. */
  | { op: "clearMustChange" }
  | GrantStep;

export interface UserPlan {
  steps: UserStep[];
  /** The record once every step succeeded. */
  next: UserRecordState;
  problems: Problem[];
  /** The ownership claim was just recorded: write the status, then come back at once to create. */
  claimOnly: boolean;
}

export interface PlanInput {
  desired: DesiredUser;
  adopt: boolean;
  record: UserRecordState;
  observed: ObservedUser;
  /** Undefined when the Secret or its key is missing. */
  password: Password | undefined;
  claims: readonly ShareGrantClaim[];
  /** Why there is no password (names the Secret and key). */
  passwordProblem?: string | undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function fieldChanges(desired: DesiredUser, user: UserRecord, groups: string[] | undefined): UserFields {
  const changes: UserFields = {};
  if (user.role !== desired.role) changes.role = desired.role;
  if (user.enabled !== desired.enabled) changes.enabled = desired.enabled;
  if (desired.displayName !== undefined && user.displayName !== desired.displayName) changes.display_name = desired.displayName;
  if (desired.email !== undefined && user.email !== desired.email) changes.email = desired.email;
  if (desired.uid !== undefined && user.uid !== desired.uid) changes.uid = desired.uid;
  if (desired.gid !== undefined && user.gid !== desired.gid) changes.gid = desired.gid;
  if (groups !== undefined && !sameSet(user.groups, groups)) changes.groups = groups;
  return changes;
}

function createFields(desired: DesiredUser, groups: string[] | undefined): UserFields & { role: Role } {
  return {
    role: desired.role,
    enabled: desired.enabled,
    ...(desired.displayName === undefined ? {} : { display_name: desired.displayName }),
    ...(desired.email === undefined ? {} : { email: desired.email }),
    ...(desired.uid === undefined ? {} : { uid: desired.uid }),
    ...(desired.gid === undefined ? {} : { gid: desired.gid }),
    ...(groups === undefined || groups.length === 0 ? {} : { groups }),
  };
}

export function planUser(input: PlanInput): UserPlan {
  const { desired, adopt, record, observed, password } = input;
  const user = observed.user;
  const claim = claimOf(user !== undefined, record.ownership, adopt);
  const problems: Problem[] = [];
  if (!password) problems.push({ reason: USER_REASONS.PasswordSecretNotFound, message: input.passwordProblem ?? "the password Secret is missing" });

  if (claim.kind === "unmanaged") {
    const message = unmanagedMessage(`user ${desired.username}`, "DittoUser");
    return { steps: [], next: { sharePermissions: [] }, problems: [{ reason: USER_REASONS.UserUnmanaged, message }, ...problems], claimOnly: false };
  }
  if (claim.kind === "claim") {
    if (!password) return { steps: [], next: { sharePermissions: [] }, problems, claimOnly: false };
    return { steps: [], next: { ownership: "Creating", sharePermissions: [] }, problems, claimOnly: true };
  }

  let groups: string[] | undefined;
  if (desired.groups !== undefined) {
    const missing = desired.groups.filter((g) => !observed.serverGroups?.has(g));
    if (missing.length > 0) problems.push({ reason: USER_REASONS.GroupNotFound, message: `group ${missing.join(", ")} does not exist on the server` });
    groups = desired.groups.filter((g) => !missing.includes(g));
  }

  const steps: UserStep[] = [];
  const ownership = claim.next;
  let passwordVersion = record.passwordVersion;
  if (!user) {
    if (!password) return { steps: [], next: { ...record, sharePermissions: [...record.sharePermissions] }, problems, claimOnly: false };
    steps.push({ op: "create", fields: createFields(desired, groups) });
    passwordVersion = password.version;
    if (desired.role === "admin" && desired.enabled) steps.push({ op: "clearMustChange" });
  } else {
    const changes = fieldChanges(desired, user, groups);
    if (Object.keys(changes).length > 0) steps.push({ op: "update", changes });
    // An admin reset (ours, or one made with dfsctl) leaves must-change set: the Secret's password is set again.
    const stale = password !== undefined && (record.passwordVersion !== password.version || (user.mustChangePassword && desired.enabled));
    if (stale) {
      steps.push({ op: "setPassword" });
      if (desired.role === "admin" && desired.enabled) steps.push({ op: "clearMustChange" });
      passwordVersion = password.version;
    }
  }
  const grants = planGrants({ wanted: desired.sharePermissions, recorded: record.sharePermissions, observed: observed.grants, claims: input.claims, exists: user !== undefined });
  return {
    steps: [...steps, ...grants.steps],
    next: { ownership, passwordVersion, sharePermissions: grants.recorded },
    problems: [...problems, ...grants.problems],
    claimOnly: false,
  };
}
