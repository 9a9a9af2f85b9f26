/**
 * DittoUser against the real dfs behind a DittoServer pod (the pod runner), with the operator in-process: a user
 * whose password comes from a Secret logs in with dfsctl and sees the share it is granted; a generated password
 * lands in a Secret the DittoUser owns; rotating the Secret changes the password; drift made with dfsctl is reverted
 * within one poll; a user made with dfsctl is reported unmanaged and left alone; a missing Secret, group or share is
 * named and retried, and reclaimPolicy Delete removes the user; a DittoGroup creates its group (the user joins it),
 * one made with dfsctl is left alone; a DittoShare's grant wins over the DittoUser's;
 * in sync (the conflict included), polls make no DittoFS and no Kubernetes write; the passwords never appear in the
 * operator's log, in events or in status; a DittoUser waits for a server not created yet, and reports the server's
 * deletion without a hot loop.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { API_VERSION } from "../../../src/api/constants.ts";
import type { DittoGroup } from "../../../src/api/schema/dittogroup.ts";
import type { DittoUser } from "../../../src/api/schema/dittouser.ts";
import { GROUP_KIND } from "../../../src/api/schema/dittogroup.ts";
import { USER_KIND } from "../../../src/api/schema/dittouser.ts";
import { DittoFsClient } from "../../../src/dittofs/client.ts";
import { DittoFsAccess } from "../../../src/dittoserver/api-pass.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import { DITTOSHARES } from "../../../src/dittoshare/kind.ts";
import { DITTOGROUPS } from "../../../src/dittouser/group-kind.ts";
import { DITTOUSERS } from "../../../src/dittouser/kind.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, installCrd, recordingMethods, startOperator, TEST_OPTIONS, waitForCondition } from "./support.ts";

const SERVER = "users";
const POLL_MS = 5_000;
/** One poll interval, plus a pass and the watch that shows its result (the machine is shared and loaded). */
const ONE_POLL_MS = POLL_MS + 5_000;
const USER_WRITES = new Set(["createUser", "updateUser", "resetPassword", "changeOwnPassword", "deleteUser", "createGroup", "updateGroup", "deleteGroup", "call PUT", "call POST", "call PATCH", "call DELETE"]);
const PASSWORD_1 = "alice-first-Passw0rd";
const PASSWORD_2 = "alice-second-Passw0rd";
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;
let apiUrl = "";
const logLines: string[] = [];
/** DittoFS calls of the bound controllers (borrowed sessions), by method name. */
const calls: string[] = [];

function dittoUser(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: API_VERSION, kind: USER_KIND, metadata: { name, namespace: ns.name, ...(annotations ? { annotations } : {}) }, spec: { serverRef: { name: SERVER }, ...spec } };
}

function secret(name: string, password: string): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns.name }, stringData: { password } };
}

function dittoGroup(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: API_VERSION, kind: GROUP_KIND, metadata: { name, namespace: ns.name }, spec: { serverRef: { name: SERVER }, ...spec } };
}

const getUser = (name: string) => client.get<DittoUser & KubeObject>(DITTOUSERS, { namespace: ns.name, name });
const cond = (u: DittoUser | DittoGroup, type: string) => u.status?.conditions?.find((c) => c.type === type);

async function waitForGroup(name: string, what: string, pred: (g: DittoGroup) => boolean, timeoutMs = 60_000): Promise<DittoGroup> {
  return waitFor(`DittoGroup ${name}: ${what}`, async () => {
    const g = await client.get<DittoGroup & KubeObject>(DITTOGROUPS, { namespace: ns.name, name });
    return pred(g) ? g : undefined;
  }, { timeoutMs, intervalMs: 250 });
}

async function waitForUser(name: string, what: string, pred: (u: DittoUser) => boolean, timeoutMs = 60_000): Promise<DittoUser> {
  return waitFor(`DittoUser ${name}: ${what}`, async () => {
    const u = await getUser(name);
    return pred(u) ? u : undefined;
  }, { timeoutMs, intervalMs: 250 });
}

/** A fresh dfsctl login as `username`; resolves with `dfsctl share list` as that user. */
async function loginAndListShares(username: string, password: string): Promise<string> {
  await dfsctl.run(["login", "--server", apiUrl, "--username", username, "--password", password]);
  return dfsctl.run(["share", "list"]);
}

async function asAdmin(): Promise<void> {
  const admin = await client.get(CORE.secrets, { namespace: ns.name, name: `${SERVER}-admin-bootstrap-credentials` });
  const password = Buffer.from((admin.data as Record<string, string>).password ?? "", "base64").toString("utf8");
  await dfsctl.run(["login", "--server", apiUrl, "--username", "admin", "--password", password]);
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-users");
  dfsctl = await privateDfsctl();
  const log = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
  operator = await startOperator(ns.name, TEST_OPTIONS, new DittoFsAccess({ connectBorrower: (endpoint) => recordingMethods(new DittoFsClient(endpoint), calls) }), log);
});

after(async () => {
  await client.delete(DITTOUSERS, { namespace: ns.name, name: "alice" }).catch(() => undefined);
  await client.delete(DITTOSHARES, { namespace: ns.name, name: "export" }).catch(() => undefined);
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

describe("DittoUser on a real dfs", { concurrency: false }, () => {
  it("a user with its password from a Secret logs in and sees its share; a generated password lands in an owned Secret", async () => {
    const spec = {
      storage: { metadataSize: "1Gi", contentSize: "1Gi" },
      podLabels: { [RUNNER_LABEL]: "true" },
      adapterDiscovery: { pollingInterval: "5s" },
      stores: { metadata: [{ name: "meta", type: "badger" }], block: [{ name: "blocks", type: "local" }] },
    };
    // carol first: her server does not exist yet, then has no API session while it starts.
    await client.create(DITTOUSERS, dittoUser("carol", { groups: ["users"] }));
    await waitForUser("carol", "ServerNotFound", (u) => cond(u, "Synced")?.reason === "ServerNotFound");
    await client.create(DITTOSERVERS, dittoServer(ns.name, SERVER, spec));
    await waitForUser("carol", "ServerNotReady", (u) => cond(u, "Synced")?.reason === "ServerNotReady");
    await waitForCondition(client, ns.name, SERVER, "StoresReady", "True", "StoresCreated", 120_000);
    const pod = await client.get<KubeObject & { status?: { podIP?: string } }>(CORE.pods, { namespace: ns.name, name: `${SERVER}-0` });
    apiUrl = `http://${pod.status?.podIP ?? ""}:8080`;
    await asAdmin();
    await dfsctl.run(["share", "create", "--name", "/export", "--metadata", "meta", "--local", "blocks"]);

    await client.create(CORE.secrets, secret("alice-pw", PASSWORD_1));
    await client.create(DITTOUSERS, dittoUser("alice", { role: "admin", passwordSecretRef: { name: "alice-pw" }, sharePermissions: [{ share: "export", level: "read-write" }] }));
    const alice = await waitForUser("alice", "Ready and Synced", (u) => cond(u, "Ready")?.status === "True" && cond(u, "Synced")?.status === "True");
    assert.equal(cond(alice, "Ready")?.reason, "UserExists");
    assert.deepEqual([alice.status?.ownership, alice.status?.sharePermissions], ["Created", [{ share: "/export", level: "read-write" }]]);
    assert.match(await loginAndListShares("alice", PASSWORD_1), /\/export/);
    await asAdmin();
    assert.match(await dfsctl.run(["share", "permission", "list", "/export"]), /alice[\s\S]*read-write/);

    await waitForUser("carol", "Synced", (u) => cond(u, "Synced")?.status === "True");
    const generated = await client.get(CORE.secrets, { namespace: ns.name, name: "carol-password" });
    assert.equal(generated.metadata.ownerReferences?.[0]?.kind, USER_KIND);
    const carolPassword = Buffer.from((generated.data as Record<string, string>).password ?? "", "base64").toString("utf8");
    await dfsctl.run(["login", "--server", apiUrl, "--username", "carol", "--password", carolPassword]);
    await asAdmin();
  });

  it("rotation: a new password in the Secret logs in, the old one no longer does", async () => {
    const before = (await getUser("alice")).status?.passwordVersion;
    await client.mergePatch(CORE.secrets, { namespace: ns.name, name: "alice-pw" }, { stringData: { password: PASSWORD_2 } });
    await waitForUser("alice", "a new password version", (u) => u.status?.passwordVersion !== before && cond(u, "Synced")?.status === "True", ONE_POLL_MS);
    assert.match(await loginAndListShares("alice", PASSWORD_2), /\/export/);
    await assert.rejects(dfsctl.run(["login", "--server", apiUrl, "--username", "alice", "--password", PASSWORD_1]));
    await asAdmin();
  });

  it("drift made with dfsctl (role, enabled) is reverted within one poll", async () => {
    await dfsctl.run(["user", "edit", "alice", "--role", "user", "--enabled", "false"]);
    const started = Date.now();
    await waitFor("alice admin and enabled again", async () => {
      const user = JSON.parse(await dfsctl.run(["user", "get", "alice", "-o", "json"])) as { role: string; enabled: boolean };
      return user.role === "admin" && user.enabled ? true : undefined;
    }, { timeoutMs: ONE_POLL_MS, intervalMs: 500 });
    console.log(`user drift made with dfsctl → reverted in ${((Date.now() - started) / 1000).toFixed(1)} s (poll interval ${POLL_MS / 1000} s)`);
    assert.match(await loginAndListShares("alice", PASSWORD_2), /\/export/, "still usable: must-change was not left armed");
    await asAdmin();
  });

  it("a user and a group made with dfsctl are reported unmanaged and left alone", async () => {
    await dfsctl.run(["user", "create", "--username", "bob", "--password", "bob-own-Passw0rd", "--role", "user"]);
    await client.create(CORE.secrets, secret("bob-pw", "bob-from-Secret-1"));
    await client.create(DITTOUSERS, dittoUser("bob", { role: "admin", passwordSecretRef: { name: "bob-pw" } }));
    const bob = await waitForUser("bob", "UserUnmanaged", (u) => cond(u, "Synced")?.reason === "UserUnmanaged");
    assert.match(cond(bob, "Synced")?.message ?? "", /dittofs\.dittofs\.com\/adopt/);
    assert.equal(cond(bob, "Ready")?.status, "False");
    assert.equal(bob.status?.ownership, undefined);
    const user = JSON.parse(await dfsctl.run(["user", "get", "bob", "-o", "json"])) as { role: string };
    assert.equal(user.role, "user");
    await dfsctl.run(["login", "--server", apiUrl, "--username", "bob", "--password", "bob-own-Passw0rd"]);
    await asAdmin();

    await dfsctl.run(["group", "create", "--name", "ops", "--gid", "3100"]);
    await client.create(DITTOGROUPS, dittoGroup("ops", { gid: 3200 }));
    const ops = await waitForGroup("ops", "GroupUnmanaged", (g) => cond(g, "Synced")?.reason === "GroupUnmanaged");
    assert.equal(cond(ops, "Ready")?.status, "False");
    assert.equal((JSON.parse(await dfsctl.run(["group", "get", "ops", "-o", "json"])) as { gid?: number }).gid, 3100, "left as dfsctl made it");
  });

  it("a missing Secret, group and share are named and retried (the group made by a DittoGroup); reclaimPolicy Delete removes user and group", async () => {
    await client.create(DITTOUSERS, dittoUser("dave", { passwordSecretRef: { name: "dave-pw" }, groups: ["users", "staff"], sharePermissions: [{ share: "/later", level: "read" }], reclaimPolicy: "Delete" }));
    const noSecret = await waitForUser("dave", "PasswordSecretNotFound", (u) => cond(u, "Synced")?.reason === "PasswordSecretNotFound");
    assert.match(cond(noSecret, "Synced")?.message ?? "", /Secret dave-pw does not exist/);
    assert.equal(cond(noSecret, "Ready")?.reason, "PasswordSecretNotFound");

    await client.create(CORE.secrets, secret("dave-pw", "dave-Passw0rd"));
    const noGroup = await waitForUser("dave", "GroupNotFound", (u) => cond(u, "Synced")?.reason === "GroupNotFound");
    assert.match(cond(noGroup, "Synced")?.message ?? "", /group staff does not exist/);
    assert.equal(cond(noGroup, "Ready")?.reason, "UserExists", "created in the groups that exist");

    // The DittoGroup creates the group with its grant; dave joins it at the next poll.
    const groupAt = Date.now();
    await client.create(DITTOGROUPS, dittoGroup("staff", { gid: 3000, sharePermissions: [{ share: "/export", level: "read" }], reclaimPolicy: "Delete" }));
    const staff = await waitForGroup("staff", "Ready and Synced", (g) => cond(g, "Ready")?.reason === "GroupExists" && cond(g, "Synced")?.status === "True");
    assert.equal(staff.status?.ownership, "Created");
    assert.equal((JSON.parse(await dfsctl.run(["group", "get", "staff", "-o", "json"])) as { gid?: number }).gid, 3000);
    assert.match(await dfsctl.run(["share", "permission", "list", "/export"]), /staff\s+read\s/);
    const noShare = await waitForUser("dave", "ShareNotFound", (u) => cond(u, "Synced")?.reason === "ShareNotFound", ONE_POLL_MS);
    console.log(`DittoGroup staff created → dave in the group after ${((Date.now() - groupAt) / 1000).toFixed(1)} s (poll interval ${POLL_MS / 1000} s)`);
    assert.match(cond(noShare, "Synced")?.message ?? "", /share \/later does not exist/);
    await dfsctl.run(["share", "create", "--name", "/later", "--metadata", "meta", "--local", "blocks"]);
    await waitForUser("dave", "Synced", (u) => cond(u, "Synced")?.status === "True", ONE_POLL_MS);
    const dave = JSON.parse(await dfsctl.run(["user", "get", "dave", "-o", "json"])) as { groups?: string[] };
    assert.deepEqual([...(dave.groups ?? [])].sort(), ["staff", "users"]);

    await client.delete(DITTOUSERS, { namespace: ns.name, name: "dave" });
    await waitFor("DittoUser dave gone", async () => ((await client.getOrUndefined(DITTOUSERS, { namespace: ns.name, name: "dave" })) ? undefined : true), { timeoutMs: 30_000, intervalMs: 250 });
    await assert.rejects(dfsctl.run(["user", "get", "dave"]), /not found/i);
    const events = await client.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(CORE.events, { namespace: ns.name });
    assert.ok(events.items.some((e) => e.reason === "UserDeleted" && e.regarding?.name === "dave"), "a UserDeleted event");

    await client.delete(DITTOGROUPS, { namespace: ns.name, name: "staff" });
    await waitFor("group staff deleted", async () => ((await dfsctl.run(["group", "list"])).includes("staff") ? undefined : true), { timeoutMs: 30_000, intervalMs: 500 });
  });

  it("a DittoShare granting alice another level on its share wins: PermissionConflict naming it, and no fight", async () => {
    const share = { apiVersion: API_VERSION, kind: "DittoShare", metadata: { name: "export", namespace: ns.name, annotations: { "dittofs.dittofs.com/adopt": "true" } }, spec: { serverRef: { name: SERVER }, metadataStore: "meta", localBlockStore: "blocks", permissions: { users: [{ name: "alice", level: "read" }] } } };
    await client.create(DITTOSHARES, share);
    const alice = await waitForUser("alice", "PermissionConflict", (u) => cond(u, "Synced")?.reason === "PermissionConflict", 2 * ONE_POLL_MS);
    assert.match(cond(alice, "Synced")?.message ?? "", /DittoShare export grants \/export at read/);
    assert.equal(cond(alice, "Ready")?.status, "True");
    assert.equal(alice.status?.sharePermissions, undefined, "the grant is the DittoShare's now");
    await waitFor("alice read on /export", async () => (/alice\s+read\s/.test(await dfsctl.run(["share", "permission", "list", "/export"])) ? true : undefined), { timeoutMs: ONE_POLL_MS, intervalMs: 500 });
  });

  it("in sync, two polls make no DittoFS write and no Kubernetes write; no password in the log, events or status", async () => {
    const writesBefore = calls.filter((m) => USER_WRITES.has(m)).length;
    const kubeWritesBefore = await operator.writes();
    const readsBefore = calls.filter((m) => m === "getUser").length;
    // Three users polled each time: two polls are six reads of a user at least.
    await waitFor("two more polls", () => Promise.resolve(calls.filter((m) => m === "getUser").length >= readsBefore + 6 ? true : undefined), { timeoutMs: 3 * ONE_POLL_MS, intervalMs: 200 });
    assert.equal(calls.filter((m) => USER_WRITES.has(m)).length, writesBefore, calls.slice(-20).join(", "));
    assert.equal(await operator.writes(), kubeWritesBefore);

    const generated = await client.get(CORE.secrets, { namespace: ns.name, name: "carol-password" });
    const carolPassword = Buffer.from((generated.data as Record<string, string>).password ?? "", "base64").toString("utf8");
    const secrets = [PASSWORD_1, PASSWORD_2, "bob-from-Secret-1", carolPassword];
    assert.ok(logLines.length > 0, "the operator's log was captured");
    const events = await client.list<KubeObject & { note?: string }>(CORE.events, { namespace: ns.name });
    const statuses = await Promise.all(["alice", "bob", "carol"].map(async (n) => JSON.stringify((await getUser(n)).status)));
    for (const text of [...logLines, ...events.items.map((e) => JSON.stringify(e)), ...statuses]) {
      for (const s of secrets) assert.ok(!text.includes(s), "a password appeared in the operator's output");
    }
  });

  it("the DittoServer deleted first: every DittoUser and DittoGroup reports it (deleting, then gone), with no hot loop", async () => {
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: SERVER });
    for (const name of ["alice", "bob", "carol"]) {
      await waitForUser(name, "ServerNotFound", (u) => cond(u, "Synced")?.reason === "ServerNotFound" && cond(u, "Ready")?.reason === "ServerNotFound", 120_000);
    }
    await waitForGroup("ops", "ServerNotFound", (g) => cond(g, "Synced")?.reason === "ServerNotFound", 30_000);
    assert.ok(operator.reasons.conditions("DittoGroup:ops").has("DittoGroup:Synced/ServerDeleting"), "the DittoGroup reported ServerDeleting too");
    assert.ok(operator.reasons.conditions("DittoUser:alice").has("DittoUser:Synced/ServerDeleting"), "ServerDeleting was reported while the server's finalizer ran");
    const reconciles = await operator.reconciles();
    const reads = calls.length;
    // A window of two poll intervals: nothing is requeued for a server that is gone.
    await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS));
    assert.ok((await operator.reconciles()) - reconciles <= 1, `reconciles in the window: ${(await operator.reconciles()) - reconciles}`);
    assert.equal(calls.length, reads, "no DittoFS call");
  });
});
