/** The DittoUser planner: ownership, field drift, password versions and must-change, groups and share grants. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoUser } from "../../../src/api/schema/dittouser.ts";
import type { UserRecord } from "../../../src/dittofs/wire-users.ts";
import type { DittoShare } from "../../../src/api/schema/dittoshare.ts";
import { shareClaims } from "../../../src/dittouser/grants.ts";
import { desiredUser, planUser } from "../../../src/dittouser/plan.ts";
import type { PlanInput } from "../../../src/dittouser/plan.ts";

function dittoUser(spec: Partial<DittoUser["spec"]> = {}, name = "alice"): DittoUser {
  return {
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoUser",
    metadata: { name, namespace: "ns", uid: "u-1" },
    spec: { serverRef: { name: "files" }, role: "user", enabled: true, reclaimPolicy: "Retain", ...spec },
  };
}

function serverUser(fields: Partial<UserRecord> = {}): UserRecord {
  return { username: "alice", role: "user", enabled: true, mustChangePassword: false, displayName: "", email: "", groups: [], ...fields };
}

const password = { value: "s3cret-value", version: "sec-uid/7" };

function input(overrides: Partial<PlanInput> & { spec?: Partial<DittoUser["spec"]> } = {}): PlanInput {
  const { spec, ...rest } = overrides;
  return {
    desired: desiredUser(dittoUser(spec)),
    adopt: false,
    record: { sharePermissions: [] },
    observed: { user: undefined, grants: new Map() },
    password,
    claims: [],
    ...rest,
  };
}

const ops = (plan: ReturnType<typeof planUser>) => plan.steps.map((s) => s.op);

test("the username defaults to metadata.name; share names get one leading slash", () => {
  assert.equal(desiredUser(dittoUser()).username, "alice");
  assert.equal(desiredUser(dittoUser({ username: "bob" })).username, "bob");
  assert.deepEqual(desiredUser(dittoUser({ sharePermissions: [{ share: "data", level: "read" }] })).sharePermissions, [{ share: "/data", level: "read" }]);
});

test("a new user is claimed first (no API write), then created with its password at the next pass", () => {
  const claim = planUser(input());
  assert.deepEqual(claim.steps, []);
  assert.equal(claim.claimOnly, true);
  assert.equal(claim.next.ownership, "Creating");

  const create = planUser(input({ record: { ownership: "Creating", sharePermissions: [] } }));
  assert.deepEqual(ops(create), ["create"]);
  assert.equal(create.next.ownership, "Created");
  assert.equal(create.next.passwordVersion, password.version);
});

test("a crash after the POST: the user exists and the claim makes it ours, its password set again", () => {
  const plan = planUser(input({ record: { ownership: "Creating", sharePermissions: [] }, observed: { user: serverUser(), grants: new Map() } }));
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(ops(plan), ["setPassword"]);
  assert.equal(plan.next.ownership, "Created");
});

test("an existing user this DittoUser did not create is left alone and reported, unless the annotation adopts it", () => {
  const unmanaged = planUser(input({ observed: { user: serverUser({ role: "admin" }), grants: new Map() } }));
  assert.deepEqual(unmanaged.steps, []);
  assert.equal(unmanaged.problems[0]?.reason, "UserUnmanaged");
  assert.match(unmanaged.problems[0]?.message ?? "", /dittofs\.dittofs\.com\/adopt/);
  assert.equal(unmanaged.next.ownership, undefined);

  const adopted = planUser(input({ adopt: true, observed: { user: serverUser({ role: "admin" }), grants: new Map() } }));
  assert.deepEqual(ops(adopted), ["update", "setPassword"]);
  assert.deepEqual(adopted.steps[0], { op: "update", changes: { role: "user" } });
  assert.equal(adopted.next.ownership, "Adopted");
});

test("in sync: no step", () => {
  const plan = planUser(input({ record: { ownership: "Created", passwordVersion: password.version, sharePermissions: [] }, observed: { user: serverUser(), grants: new Map() } }));
  assert.deepEqual(plan.steps, []);
  assert.deepEqual(plan.problems, []);
});

test("drift of role, enabled and the optional fields set in the spec is one update; fields not in the spec are left", () => {
  const record = { ownership: "Created" as const, passwordVersion: password.version, sharePermissions: [] };
  const drifted = serverUser({ role: "operator", enabled: false, displayName: "X", email: "x@y", uid: 5 });
  const plan = planUser(input({ spec: { displayName: "Alice", uid: 1001 }, record, observed: { user: drifted, grants: new Map() } }));
  assert.deepEqual(plan.steps, [{ op: "update", changes: { role: "user", enabled: true, display_name: "Alice", uid: 1001 } }]);
});

test("a new Secret version resets the password; an admin-role user then clears its must-change by itself", () => {
  const record = { ownership: "Created" as const, passwordVersion: "sec-uid/6", sharePermissions: [] };
  assert.deepEqual(ops(planUser(input({ record, observed: { user: serverUser(), grants: new Map() } }))), ["setPassword"]);
  const admin = planUser(input({ spec: { role: "admin" }, record, observed: { user: serverUser({ role: "admin" }), grants: new Map() } }));
  assert.deepEqual(ops(admin), ["setPassword", "clearMustChange"]);
  assert.equal(admin.next.passwordVersion, password.version);
});

test("must-change seen on an enabled managed user (a reset made with dfsctl) sets the Secret's password again; not while disabled", () => {
  const record = { ownership: "Created" as const, passwordVersion: password.version, sharePermissions: [] };
  const user = serverUser({ role: "admin", mustChangePassword: true });
  assert.deepEqual(ops(planUser(input({ spec: { role: "admin" }, record, observed: { user, grants: new Map() } }))), ["setPassword", "clearMustChange"]);
  const disabled = planUser(input({ spec: { role: "admin", enabled: false }, record, observed: { user: { ...user, enabled: false }, grants: new Map() } }));
  assert.deepEqual(disabled.steps, []);
});

test("a missing password Secret: no create, the problem names it; a managed user keeps its other fields synced", () => {
  const missing = planUser(input({ password: undefined, passwordProblem: "Secret pw does not exist", record: { ownership: "Creating", sharePermissions: [] } }));
  assert.deepEqual(missing.steps, []);
  assert.deepEqual(missing.problems, [{ reason: "PasswordSecretNotFound", message: "Secret pw does not exist" }]);
  const managed = planUser(input({ password: undefined, record: { ownership: "Created", sharePermissions: [] }, observed: { user: serverUser({ enabled: false }), grants: new Map() } }));
  assert.deepEqual(ops(managed), ["update"]);
});

test("groups: exactly the listed ones that exist; a missing group is reported by name and left out", () => {
  const record = { ownership: "Created" as const, passwordVersion: password.version, sharePermissions: [] };
  const plan = planUser(input({ spec: { groups: ["staff", "ghosts"] }, record, observed: { user: serverUser({ groups: ["users"] }), grants: new Map(), serverGroups: new Set(["staff", "users"]) } }));
  assert.deepEqual(plan.steps, [{ op: "update", changes: { groups: ["staff"] } }]);
  assert.equal(plan.problems[0]?.reason, "GroupNotFound");
  assert.match(plan.problems[0]?.message ?? "", /ghosts/);
  const same = planUser(input({ spec: { groups: ["staff"] }, record, observed: { user: serverUser({ groups: ["staff"] }), grants: new Map(), serverGroups: new Set(["staff"]) } }));
  assert.deepEqual(same.steps, []);
});

test("grants: set when different, recorded; a grant that left the spec is removed only if this DittoUser set it", () => {
  const record = { ownership: "Created" as const, passwordVersion: password.version, sharePermissions: [{ share: "/old", level: "read" as const }] };
  const grants = new Map<string, string | undefined>([["/data", "read"], ["/old", "read"], ["/other", "admin"]]);
  const plan = planUser(input({ spec: { sharePermissions: [{ share: "data", level: "read-write" }] }, record, observed: { user: serverUser(), grants } }));
  assert.deepEqual(plan.steps, [{ op: "grant", share: "/data", level: "read-write" }, { op: "revoke", share: "/old" }]);
  assert.deepEqual(plan.next.sharePermissions, [{ share: "/data", level: "read-write" }]);
});

test("a share the server lacks is reported; a grant a DittoShare makes wins, and a different level is a conflict naming it", () => {
  const record = { ownership: "Created" as const, passwordVersion: password.version, sharePermissions: [{ share: "/data", level: "read" as const }] };
  const plan = planUser(input({
    spec: { sharePermissions: [{ share: "/data", level: "admin" }, { share: "/nope", level: "read" }] },
    record,
    observed: { user: serverUser(), grants: new Map([["/data", "read"]]) },
    claims: [{ share: "/data", level: "read", by: "data-share" }],
  }));
  assert.deepEqual(plan.steps, []);
  assert.deepEqual(plan.problems.map((p) => p.reason), ["PermissionConflict", "ShareNotFound"]);
  assert.match(plan.problems[0]?.message ?? "", /data-share/);
  assert.deepEqual(plan.next.sharePermissions, []);
});

test("a managed user deleted on the server (dfsctl) is created again with the Secret's password", () => {
  const plan = planUser(input({ record: { ownership: "Adopted", passwordVersion: password.version, sharePermissions: [] } }));
  assert.deepEqual(ops(plan), ["create"]);
  assert.equal(plan.next.ownership, "Adopted");
  assert.equal(plan.claimOnly, false);
});

test("claims: the user's grants in the live DittoShares of the same server, by normalised share name", () => {
  const share = (name: string, server: string, users: { name: string; level: "read" | "admin" }[], extra: Partial<DittoShare["metadata"]> = {}, shareName?: string): DittoShare => ({
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoShare",
    metadata: { name, namespace: "ns", ...extra },
    spec: { serverRef: { name: server }, ...(shareName ? { shareName } : {}), metadataStore: "m", localBlockStore: "b", readOnly: false, enabled: true, defaultPermission: "none", reclaimPolicy: "Retain", permissions: { users } },
  });
  const claims = shareClaims("files", "users", "alice", [
    share("data", "files", [{ name: "alice", level: "read" }, { name: "bob", level: "admin" }]),
    share("named", "files", [{ name: "alice", level: "admin" }], {}, "projects/x"),
    share("elsewhere", "other", [{ name: "alice", level: "read" }]),
    share("going", "files", [{ name: "alice", level: "read" }], { deletionTimestamp: "2026-01-01T00:00:00Z" }),
  ]);
  assert.deepEqual(claims, [
    { share: "/data", level: "read", by: "data" },
    { share: "/projects/x", level: "admin", by: "named" },
  ]);
});
