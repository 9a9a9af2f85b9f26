/**
 * The DittoUser sync step on the real dfs v0.29.0: the claim then the create, an admin-role user left usable
 * (must-change cleared by logging in as the user), rotation, drift made with dfsctl reverted, a dfsctl-made user
 * left alone until adopted, grants, and GETs only when in sync.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DittoUser } from "../../src/api/schema/dittouser.ts";
import { ensureAccount } from "../../src/dittofs/account.ts";
import type { DittoFsClient } from "../../src/dittofs/client.ts";
import { desiredUser } from "../../src/dittouser/plan.ts";
import type { Password, UserRecordState } from "../../src/dittouser/plan.ts";
import { syncUser, userApi } from "../../src/dittouser/sync.ts";
import type { UserApi, UserSyncResult } from "../../src/dittouser/sync.ts";
import { syncStores } from "../../src/dittoserver/store-sync.ts";
import { counting, openLab, rejected } from "./dittofs-lab.ts";
import type { Booted, Lab } from "./dittofs-lab.ts";

function dittoUser(name: string, spec: Partial<DittoUser["spec"]> = {}): DittoUser {
  return {
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoUser",
    metadata: { name, namespace: "ns" },
    spec: { serverRef: { name: "users" }, role: "user", enabled: true, reclaimPolicy: "Retain", ...spec },
  };
}

describe("DittoUser sync against dfs v0.29.0", () => {
  let lab: Lab;
  let s: Booted;
  let token = "";
  before(async () => {
    lab = await openLab("users", []);
    s = await lab.boot("users");
    const account = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "users-operator-password" });
    assert.equal(account.kind, "authenticated", JSON.stringify(account));
    token = account.kind === "authenticated" ? account.token : "";
    const stores = await syncStores(s.client, { token, now: Date.now(), record: [], desired: [{ kind: "metadata", name: "meta", type: "memory", config: {} }, { kind: "block", name: "blocks", type: "memory", config: {} }] });
    assert.equal(stores.error, undefined);
    await s.dfsctl("share", "create", "--name", "/data", "--metadata", "meta", "--local", "blocks");
  });
  after(async () => {
    await lab?.close();
  });

  /** One pass; `api` counts the calls. Fails the test on an API failure. */
  async function pass(user: DittoUser, record: UserRecordState, password: Password, options: { adopt?: boolean; api?: UserApi } = {}): Promise<UserSyncResult> {
    const result = await syncUser(options.api ?? userApi(s.client), { token, desired: desiredUser(user), adopt: options.adopt ?? false, record, password, claims: [] });
    if (result.error) throw result.error;
    return result;
  }

  const alice = dittoUser("alice", { role: "admin", sharePermissions: [{ share: "data", level: "read-write" }] });
  let record: UserRecordState = { sharePermissions: [] };
  const first: Password = { value: "alice-password-1", version: "sec/1" };

  it("claims, then creates an admin-role user that logs in without must-change and holds its grant; in sync only GETs", async () => {
    const claim = await pass(alice, record, first);
    assert.equal(claim.claimOnly, true);
    assert.deepEqual(claim.done, []);
    const created = await pass(alice, claim.record, first);
    assert.deepEqual(created.done, ["create", "clearMustChange", "grant"]);
    record = created.record;
    const session = await s.client.login("alice", first.value);
    assert.equal(session.user.mustChangePassword, false);
    assert.equal(session.user.role, "admin");
    assert.match(await s.dfsctl("share", "permission", "list", "/data"), /alice[\s\S]*read-write/);

    const { api, calls } = counting(s.client);
    const idle = await pass(alice, record, first, { api: userApi(api as unknown as DittoFsClient) });
    assert.deepEqual(idle.done, []);
    assert.deepEqual(calls, ["getUser", "call"], "GET /users/alice and GET /shares/%2Fdata/permissions");
  });

  it("rotation: a new Secret version sets the new password, the old one stops working, the admin stays usable", async () => {
    const second: Password = { value: "alice-password-2", version: "sec/2" };
    const rotated = await pass(alice, record, second);
    assert.deepEqual(rotated.done, ["setPassword", "clearMustChange"]);
    record = rotated.record;
    assert.equal((await s.client.login("alice", second.value)).user.mustChangePassword, false);
    assert.equal((await rejected(s.client.login("alice", first.value))).kind, "unauthorized");
    first.value = second.value;
    first.version = second.version;
  });

  it("drift made with dfsctl (role, enabled, a grant, a must-change reset) is reverted in one pass", async () => {
    await s.dfsctl("user", "edit", "alice", "--role", "user", "--enabled", "false");
    await s.dfsctl("share", "permission", "grant", "/data", "--user", "alice", "--level", "read");
    const restored = await pass(alice, record, first);
    assert.deepEqual(restored.done, ["update", "grant"]);
    const user = await s.client.getUser(token, "alice");
    assert.deepEqual([user.role, user.enabled], ["admin", true]);

    await s.client.resetPassword(token, "alice", "someone-elses-password");
    const reset = await pass(alice, record, first);
    assert.deepEqual(reset.done, ["setPassword", "clearMustChange"]);
    assert.equal((await s.client.login("alice", first.value)).user.mustChangePassword, false);
  });

  it("a user made with dfsctl is left alone and reported until the annotation adopts it", async () => {
    await s.dfsctl("user", "create", "--username", "bob", "--password", "bob-own-password", "--role", "user");
    const bob = dittoUser("bob", { role: "operator" });
    const password: Password = { value: "bob-from-secret", version: "b/1" };
    const { api, calls } = counting(s.client);
    const unmanaged = await pass(bob, { sharePermissions: [] }, password, { api: userApi(api as unknown as DittoFsClient) });
    assert.deepEqual(unmanaged.problems.map((p) => p.reason), ["UserUnmanaged"]);
    assert.deepEqual(calls, ["getUser"]);
    assert.equal((await s.client.getUser(token, "bob")).role, "user");
    assert.ok(await s.client.login("bob", "bob-own-password"));

    const adopted = await pass(bob, { sharePermissions: [] }, password, { adopt: true });
    assert.equal(adopted.record.ownership, "Adopted");
    assert.equal((await s.client.getUser(token, "bob")).role, "operator");
    assert.ok(await s.client.login("bob", password.value));
  });

  it("a grant that leaves the spec is revoked; a grant made by someone else on another share is kept", async () => {
    await s.dfsctl("share", "create", "--name", "/other", "--metadata", "meta", "--local", "blocks");
    await s.dfsctl("share", "permission", "grant", "/other", "--user", "alice", "--level", "read");
    const withoutGrant = dittoUser("alice", { role: "admin" });
    const revoked = await pass(withoutGrant, record, first);
    assert.deepEqual(revoked.done, ["revoke"]);
    assert.doesNotMatch(await s.dfsctl("share", "permission", "list", "/data"), /alice/);
    assert.match(await s.dfsctl("share", "permission", "list", "/other"), /alice/);
  });
});
