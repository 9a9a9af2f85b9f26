/**
 * The user, group and share-permission bodies of the DittoFS v0.29.0 REST API as DittoUser and DittoGroup use them
 * (`internal/controlplane/api/handlers/{users,groups}.go`), with parsers that check what the operator relies on.
 * The user answer carries no share permissions: those are read per share (`./shares.ts`, `listGrants`).
 */
import { array, field, object, parseUser, ShapeError } from "./wire.ts";
import type { Role, User } from "./wire.ts";

/** Share access levels, lowest first (`pkg/controlplane/models/permission.go`). */
export const PERMISSION_LEVELS = ["none", "read", "read-write", "admin"] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/** A user as `GET /users/{name}` answers: the account fields plus identity and memberships. */
export interface UserRecord extends User {
  displayName: string;
  email: string;
  /** Absent when the server has none (it assigns none by itself). */
  uid?: number | undefined;
  gid?: number | undefined;
  /** Group names, in the server's order. */
  groups: string[];
}

/** The fields a user is created or updated with (wire names). Unset fields are left as they are on update. */
export interface UserFields {
  role?: Role;
  enabled?: boolean;
  display_name?: string;
  email?: string;
  uid?: number;
  gid?: number;
  /** On update, replaces every membership; a group that does not exist fails the whole call (400). */
  groups?: string[];
}

/** Body of `POST /users`. */
export interface NewUser extends UserFields {
  username: string;
  password: string;
}

/** A group as `GET /groups/{name}` answers. */
export interface GroupRecord {
  name: string;
  gid?: number | undefined;
  description: string;
  members: string[];
}

/** Body of `POST /groups` (with `name`) and `PUT /groups/{name}`. */
export interface GroupFields {
  description?: string;
  gid?: number;
}

function optionalNumber(o: Record<string, unknown>, key: string, what: string): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : field<number>(o, key, "number", what);
}

function names(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  return array(value, what).map((item, i) => {
    if (typeof item !== "string") throw new ShapeError(`${what}[${i}] is not a string`);
    return item;
  });
}

export function parseUserRecord(value: unknown, what = "user"): UserRecord {
  const o = object(value, what);
  return {
    ...parseUser(o, what),
    displayName: field(o, "display_name", "string", what, ""),
    email: field(o, "email", "string", what, ""),
    uid: optionalNumber(o, "uid", what),
    gid: optionalNumber(o, "gid", what),
    groups: names(o.groups, `${what}.groups`),
  };
}

export function parseGroup(value: unknown, what = "group"): GroupRecord {
  const o = object(value, what);
  return {
    name: field(o, "name", "string", what),
    gid: optionalNumber(o, "gid", what),
    description: field(o, "description", "string", what, ""),
    members: names(o.members, `${what}.members`),
  };
}

export function parseGroups(value: unknown): GroupRecord[] {
  return array(value, "group list").map((item, i) => parseGroup(item, `group[${i}]`));
}
