/**
 * Issue 16's first acceptance case, end to end on the real dfs behind a DittoServer pod: a DittoServer declaring a
 * badger metadata store and a local block store, one DittoShare and one DittoUser whose password comes from a
 * Secret. The user logs in with dfsctl with that password and sees the share; after the pod is deleted and the
 * StatefulSet brings up a new one (same claims), the stores, the share (same id), the user and its password are
 * all still there, and the operator created none of them again.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { API_VERSION } from "../../../src/api/constants.ts";
import { SHARE_KIND } from "../../../src/api/schema/dittoshare.ts";
import { USER_KIND } from "../../../src/api/schema/dittouser.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import { DITTOSHARES } from "../../../src/dittoshare/kind.ts";
import { DITTOUSERS } from "../../../src/dittouser/kind.ts";
import type { Condition, KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, installCrd, recordingBorrowers, startOperator, TEST_OPTIONS, waitForCondition } from "./support.ts";

const SERVER = "decl";
const PASSWORD = "bob-declared-Passw0rd";
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;

/** Every call the bound controllers made through their borrowed sessions, as `METHOD path`. */
const borrowed: string[] = [];
const creates = (): string[] => borrowed.filter((c) => c === "POST /shares" || c === "POST /users");


type Bound = KubeObject & { status?: { conditions?: Condition[]; shareID?: string; ownership?: string } };
/**
 * The shares `username` sees with dfsctl, logged in as that user. dfs v0.29.0 lists shares to admin-role accounts
 * only ("Admin access required" for the others, and a user's own record does not carry its grants), so the test's
 * user has role admin: the operator also has to leave it usable (an admin-role user's password set by an admin
 * must be changed before anything else; src/dittouser clears that).
 */
async function sharesSeenBy(username: string, password: string): Promise<string> {
  await login(username, password);
  return dfsctl.run(["share", "list"]);
}

const cond = (o: Bound | undefined, type: string): Condition | undefined => o?.status?.conditions?.find((c) => c.type === type);

async function waitSynced(resource: typeof DITTOSHARES, name: string, timeoutMs = 120_000): Promise<Bound> {
  return waitFor(`${resource.kind} ${name} Ready and Synced`, async () => {
    const o = await client.getOrUndefined<Bound>(resource, { namespace: ns.name, name });
    return cond(o, "Ready")?.status === "True" && cond(o, "Synced")?.status === "True" ? o : undefined;
  }, { timeoutMs, intervalMs: 250 });
}

async function apiUrl(): Promise<string> {
  const pod = await client.get<KubeObject & { status?: { podIP?: string } }>(CORE.pods, { namespace: ns.name, name: `${SERVER}-0` });
  return `http://${pod.status?.podIP ?? ""}:8080`;
}

async function login(username: string, password: string): Promise<void> {
  await dfsctl.run(["login", "--server", await apiUrl(), "--username", username, "--password", password]);
}

async function adminPassword(): Promise<string> {
  const admin = await client.get(CORE.secrets, { namespace: ns.name, name: `${SERVER}-admin-bootstrap-credentials` });
  return Buffer.from((admin.data as Record<string, string>).password ?? "", "base64").toString("utf8");
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("declarative");
  dfsctl = await privateDfsctl();
  operator = await startOperator(ns.name, TEST_OPTIONS, recordingBorrowers(borrowed));
});

after(async () => {
  await client.delete(DITTOUSERS, { namespace: ns.name, name: "bob" }).catch(() => undefined);
  await client.delete(DITTOSHARES, { namespace: ns.name, name: "export" }).catch(() => undefined);
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

describe("declared stores, share and user on a real dfs", { concurrency: false }, () => {
  let shareID = "";

  it("the user logs in with the password of its Secret and sees the share", async () => {
    const started = Date.now();
    await client.create(DITTOSERVERS, dittoServer(ns.name, SERVER, {
      storage: { metadataSize: "1Gi", contentSize: "1Gi" },
      podLabels: { [RUNNER_LABEL]: "true" },
      adapterDiscovery: { pollingInterval: "5s" },
      stores: { metadata: [{ name: "meta", type: "badger" }], block: [{ name: "blocks", type: "local" }] },
    }));
    await client.create(CORE.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name: "bob-password", namespace: ns.name }, stringData: { password: PASSWORD } } as KubeObject);
    await client.create(DITTOSHARES, { apiVersion: API_VERSION, kind: SHARE_KIND, metadata: { name: "export", namespace: ns.name }, spec: { serverRef: { name: SERVER }, metadataStore: "meta", localBlockStore: "blocks", permissions: { users: [{ name: "bob", level: "read-write" }] } } } as KubeObject);
    await client.create(DITTOUSERS, { apiVersion: API_VERSION, kind: USER_KIND, metadata: { name: "bob", namespace: ns.name }, spec: { serverRef: { name: SERVER }, role: "admin", passwordSecretRef: { name: "bob-password" } } } as KubeObject);
    const share = await waitSynced(DITTOSHARES, "export");
    await waitSynced(DITTOUSERS, "bob");
    console.log(`DittoServer, DittoShare and DittoUser created together → all in sync after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    shareID = share.status?.shareID ?? "";
    assert.notEqual(shareID, "", "the status records the share's id");

    assert.match(await sharesSeenBy("bob", PASSWORD), /\/export/, "bob sees the share");
    await login("admin", await adminPassword());
    assert.match(await dfsctl.run(["share", "permission", "list", "/export"]), /bob[\s\S]*read-write/);
  });

  it("after a pod restart the stores, the share, the user and its password are still there, and nothing was created again", async () => {
    const before = await client.get(CORE.pods, { namespace: ns.name, name: `${SERVER}-0` });
    const createsBefore = creates().length;
    await client.delete(CORE.pods, { namespace: ns.name, name: `${SERVER}-0` });
    await waitFor("a new pod", async () => {
      const p = await client.getOrUndefined<KubeObject & { status?: { podIP?: string } }>(CORE.pods, { namespace: ns.name, name: `${SERVER}-0` });
      return p && p.metadata.uid !== before.metadata.uid && p.status?.podIP ? p : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    await waitForCondition(client, ns.name, SERVER, "Ready", "True", undefined, 120_000);
    await waitForCondition(client, ns.name, SERVER, "StoresReady", "True", undefined, 60_000);
    const share = await waitSynced(DITTOSHARES, "export");
    await waitSynced(DITTOUSERS, "bob");

    assert.equal(share.status?.shareID, shareID, "the same share");
    await login("admin", await adminPassword());
    const stores = await dfsctl.run(["store", "metadata", "list"]);
    assert.match(stores, /meta/);
    assert.equal((JSON.parse(await dfsctl.run(["share", "show", "/export", "-o", "json"])) as { id: string }).id, shareID, "dfsctl sees the same share");
    assert.match(await sharesSeenBy("bob", PASSWORD), /\/export/, "bob still logs in with the Secret's password and sees the share");
    assert.deepEqual(creates().slice(createsBefore), [], "no share or user created again after the restart");
  });
});
