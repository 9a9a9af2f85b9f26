/**
 * DittoUsers the API server must reject, each with the field path and the message fragment the user should see.
 * `spec` is merged over a valid minimal spec (`serverRef.name: files`); `null` deletes a key.
 */
import type { CreateCase } from "./invalid-create-cases.ts";

export const USER_MINIMAL_SPEC = { serverRef: { name: "files" } };

export const USER_CREATE_CASES: CreateCase[] = [
  { name: "no spec", raw: {}, field: "spec", message: "Required value" },
  { name: "no serverRef", spec: { serverRef: null }, field: "spec.serverRef", message: "Required value" },
  { name: "serverRef without a name", spec: { serverRef: { name: null } }, field: "spec.serverRef.name", message: "Required value" },
  { name: "serverRef not a DNS name", spec: { serverRef: { name: "Files_1" } }, field: "spec.serverRef.name", message: "should match" },
  { name: "username with a slash", spec: { username: "a/b" }, field: "spec.username", message: "should match" },
  { name: "username starting with a dot", spec: { username: ".alice" }, field: "spec.username", message: "should match" },
  { name: "username too long", spec: { username: "a".repeat(65) }, field: "spec.username", message: "may not be more than 64" },
  { name: "username admin", spec: { username: "admin" }, field: "spec.username", message: "username admin is reserved" },
  { name: "username k8s-operator", spec: { username: "k8s-operator" }, field: "spec.username", message: "is reserved" },
  { name: "username me (the own-password route)", spec: { username: "me" }, field: "spec.username", message: "is reserved" },
  { name: "metadata.name admin without a username", objectName: "admin", field: "spec.username", message: "spec.username is required when metadata.name is reserved" },
  { name: "unknown role", spec: { role: "root" }, field: "spec.role", message: "Unsupported value" },
  { name: "uid 0 (root)", spec: { uid: 0 }, field: "spec.uid", message: "greater than or equal to 1" },
  { name: "gid beyond uint32", spec: { gid: 4294967296 }, field: "spec.gid", message: "less than or equal to 4294967294" },
  { name: "email without @", spec: { email: "alice" }, field: "spec.email", message: "should match" },
  { name: "duplicate group", spec: { groups: ["staff", "staff"] }, field: "spec.groups[1]", message: "Duplicate value" },
  { name: "group name with a space", spec: { groups: ["my staff"] }, field: "spec.groups[0]", message: "should match" },
  { name: "unknown permission level", spec: { sharePermissions: [{ share: "/data", level: "write" }] }, field: "spec.sharePermissions[0].level", message: "Unsupported value" },
  { name: "grant without a share", spec: { sharePermissions: [{ level: "read" }] }, field: "spec.sharePermissions[0].share", message: "Required value" },
  { name: "share name with a space", spec: { sharePermissions: [{ share: "/my data", level: "read" }] }, field: "spec.sharePermissions[0].share", message: "should match" },
  { name: "the same share twice (x and /x)", spec: { sharePermissions: [{ share: "data", level: "read" }, { share: "/data", level: "admin" }] }, field: "spec.sharePermissions", message: "names the same share twice" },
  { name: "password Secret without a name", spec: { passwordSecretRef: { key: "pw" } }, field: "spec.passwordSecretRef.name", message: "Required value" },
  { name: "password key with a slash", spec: { passwordSecretRef: { name: "pw", key: "a/b" } }, field: "spec.passwordSecretRef.key", message: "should match" },
  { name: "unknown reclaimPolicy", spec: { reclaimPolicy: "Destroy" }, field: "spec.reclaimPolicy", message: "Unsupported value" },
  { name: "unknown field", spec: { password: "x" }, field: "spec.password", message: "unknown field" },
];

export interface UserUpdateCase {
  name: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  field: string;
  message: string;
}

export const USER_UPDATE_CASES: UserUpdateCase[] = [
  { name: "username changed", before: { username: "alice" }, after: { username: "alicia" }, field: "spec.username", message: "username is immutable" },
  { name: "username added", before: {}, after: { username: "alicia" }, field: "spec.username", message: "username is immutable" },
  { name: "serverRef changed", before: {}, after: { serverRef: { name: "other" } }, field: "spec.serverRef", message: "serverRef is immutable" },
];

export const GROUP_CREATE_CASES: CreateCase[] = [
  { name: "group without serverRef", spec: { serverRef: null }, field: "spec.serverRef", message: "Required value" },
  { name: "system group users", spec: { groupName: "users" }, field: "spec.groupName", message: "groupName users is a system group" },
  { name: "metadata.name admins without a groupName", objectName: "admins", field: "spec.groupName", message: "spec.groupName is required when metadata.name is a system group" },
  { name: "groupName with a space", spec: { groupName: "my staff" }, field: "spec.groupName", message: "should match" },
  { name: "gid 0 (root)", spec: { gid: 0 }, field: "spec.gid", message: "greater than or equal to 1" },
  { name: "group grant at an unknown level", spec: { sharePermissions: [{ share: "/data", level: "full" }] }, field: "spec.sharePermissions[0].level", message: "Unsupported value" },
  { name: "group grants naming the same share twice", spec: { sharePermissions: [{ share: "/data", level: "read" }, { share: "data", level: "admin" }] }, field: "spec.sharePermissions", message: "names the same share twice" },
  { name: "group with an unknown reclaimPolicy", spec: { reclaimPolicy: "Purge" }, field: "spec.reclaimPolicy", message: "Unsupported value" },
];
