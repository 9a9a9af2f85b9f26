/**
 * The DittoUser sync step against a scripted server: the calls it makes (GETs only in sync), the admin-role
 * password flow, a share vanishing under a grant, and a failure leaving the record to the answered calls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoUser } from "../../../src/api/schema/dittouser.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { UserRecord } from "../../../src/dittofs/wire-users.ts";
import { desiredUser } from "../../../src/dittouser/plan.ts";
import type { UserRecordState } from "../../../src/dittouser/plan.ts";
import { syncUser } from "../../../src/dittouser/sync.ts";
import type { UserApi, UserSyncInput } from "../../../src/dittouser/sync.ts";

const PASSWORD = "pw-for-alice";

function spec(extra: Partial<DittoUser["spec"]> = {}): DittoUser {
  return {
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoUser",
    metadata: { name: "alice", namespace: "ns" },
    spec: { serverRef: { name: "files" }, role: "user", enabled: true, reclaimPolicy: "Retain", ...extra },
  };
}

const notFound = (what: string) => new DittoFsError("notFound", 404, "GET", what, `DittoFS API GET ${what}: HTTP 404`);

/** The promise of an answer computed now; a throw becomes a rejection, as from the real client. */
function answer<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(fn());
  });
}

/** A server with users, groups and shares (name → user grants), recording every call as `METHOD what`. */
function fakeServer(state: { users?: Record<string, UserRecord>; groups?: string[]; shares?: Record<string, Record<string, string>>; failOn?: string } = {}) {
  const users = state.users ?? {};
  const shares = state.shares ?? {};
  const calls: string[] = [];
  const call = (c: string) => {
    calls.push(c);
    if (state.failOn === c) throw new DittoFsError("transient", 503, "X", c, `DittoFS API ${c}: HTTP 503`);
  };
  const userCalls: UserApi["users"] = {
    getUser: (_t, name) => answer(() => {
      call(`GET user ${name}`);
      const user = users[name];
      if (!user) throw notFound(name);
      return user;
    }),
    createUser: (_t, u) => answer(() => {
      call(`POST user ${u.username}`);
      const created = { username: u.username, role: u.role, enabled: u.enabled ?? true, mustChangePassword: u.role === "admin", displayName: "", email: "", groups: u.groups ?? [] };
      users[u.username] = created;
      return created;
    }),
    updateUser: (_t, name, changes) => answer(() => (call(`PUT user ${name} ${JSON.stringify(changes)}`), Object.assign(users[name]!, changes))),
    resetPassword: (_t, name) => answer(() => {
      call(`POST password ${name}`);
      users[name]!.mustChangePassword = users[name]!.role === "admin";
    }),
    login: (name, pw) => answer(() => {
      call(`login ${name}`);
      assert.equal(pw, PASSWORD);
      return { accessToken: "user-token", refreshToken: "r", expiresAt: 0, user: users[name]! };
    }),
    changeOwnPassword: (token) => answer(() => {
      call(`own password ${token}`);
      users.alice!.mustChangePassword = false;
      return { accessToken: "t", refreshToken: "r", expiresAt: 0, user: users.alice! };
    }),
    listGroups: () => answer(() => (call("GET groups"), (state.groups ?? []).map((name) => ({ name, description: "", members: [] })))),
  };
  const shareCalls: UserApi["shares"] = {
    listGrants: (_t, share) => answer(() => {
      call(`GET perms ${share}`);
      const grants = shares[share];
      if (!grants) throw notFound(share);
      return Object.entries(grants).map(([name, level]) => ({ type: "user", name, level }));
    }),
    setGrant: (_t, share, _kind, name, level) => answer(() => {
      call(`PUT perm ${share} ${level}`);
      const grants = shares[share];
      if (!grants) throw notFound(share);
      grants[name] = level;
    }),
    removeGrant: (_t, share, _kind, name) => answer(() => {
      call(`DELETE perm ${share}`);
      delete shares[share]?.[name];
    }),
  };
  return { api: { users: userCalls, shares: shareCalls }, calls, users, shares };
}

function syncInput(user: DittoUser, record: UserRecordState): UserSyncInput {
  return { token: "admin-token", desired: desiredUser(user), adopt: false, record, password: { value: PASSWORD, version: "s/1" }, claims: [] };
}

test("create (after the claim) of an admin-role user with a grant, then a second pass makes only GETs", async () => {
  const server = fakeServer({ groups: ["staff"], shares: { "/data": {} } });
  const user = spec({ role: "admin", groups: ["staff"], sharePermissions: [{ share: "data", level: "read" }] });
  const first = await syncUser(server.api, syncInput(user, { ownership: "Creating", sharePermissions: [] }));
  assert.equal(first.error, undefined);
  assert.deepEqual(server.calls, ["GET user alice", "GET groups", "GET perms /data", "POST user alice", "login alice", "own password user-token", "PUT perm /data read"]);
  assert.equal(server.users.alice?.mustChangePassword, false);
  assert.equal(first.present, true);
  assert.deepEqual(first.record, { ownership: "Created", passwordVersion: "s/1", sharePermissions: [{ share: "/data", level: "read" }] });

  server.calls.length = 0;
  const second = await syncUser(server.api, syncInput(user, first.record));
  assert.deepEqual(second.done, []);
  assert.ok(server.calls.every((c) => c.startsWith("GET ")), server.calls.join(", "));
});

test("a share removed between the read and the grant is a problem of that share, not a failure", async () => {
  const server = fakeServer({ users: { alice: { username: "alice", role: "user", enabled: true, mustChangePassword: false, displayName: "", email: "", groups: [] } }, shares: { "/data": {} } });
  const input = syncInput(spec({ sharePermissions: [{ share: "/data", level: "read" }] }), { ownership: "Created", passwordVersion: "s/1", sharePermissions: [] });
  const realGet = server.api.shares.listGrants;
  server.api.shares.listGrants = async (t, s, o) => {
    const got = await realGet(t, s, o);
    delete server.shares["/data"];
    return got;
  };
  const result = await syncUser(server.api, input);
  assert.equal(result.error, undefined);
  assert.deepEqual(result.problems.map((p) => p.reason), ["ShareNotFound"]);
});

test("a failing call stops the step; the record keeps the password version of the set that did not happen", async () => {
  const server = fakeServer({ users: { alice: { username: "alice", role: "user", enabled: false, mustChangePassword: false, displayName: "", email: "", groups: [] } }, failOn: "POST password alice" });
  const result = await syncUser(server.api, syncInput(spec(), { ownership: "Created", passwordVersion: "s/0", sharePermissions: [] }));
  assert.match(result.error?.message ?? "", /503/);
  assert.deepEqual(result.done, ["update"]);
  assert.equal(result.record.passwordVersion, "s/0");
  assert.equal(result.record.ownership, "Created");
});

test("the server unreachable while observing: nothing written, the record unchanged", async () => {
  const server = fakeServer({ failOn: "GET user alice" });
  const record = { ownership: "Created" as const, passwordVersion: "s/1", sharePermissions: [] };
  const result = await syncUser(server.api, syncInput(spec(), record));
  assert.ok(result.error);
  assert.deepEqual(result.record, record);
  assert.deepEqual(server.calls, ["GET user alice"]);
});
