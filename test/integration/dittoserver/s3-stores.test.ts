/**
 * An S3 block store of `spec.stores` on the real dfs behind the DittoServer pod, against a real S3-compatible
 * server (versitygw, ./versitygw.ts) that the pod reaches at the node address: credentials from a Secret; an
 * endpoint on a private address refused by the server until allowed (StoreRejected, not retried every poll); in
 * sync no write; wrong credentials (the S3 server's keys changed) give StoreUnhealthy naming the store; rotating
 * the Secret pushes the new pair at once. The secret key never appears in status or events.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, eventsFor, getServer, installCrd, recordingPass, startOperator, TEST_OPTIONS, waitForCondition, waitForEvent } from "./support.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";
import { startVersitygw } from "./versitygw.ts";
import type { S3Credentials, S3Server } from "./versitygw.ts";

const NAME = "s3";
const BUCKET = "dittofs-blocks";
const POLL_MS = 5_000;
/** One poll interval, plus a pass and the watch that shows its result (the machine is shared and loaded). */
const ONE_POLL_MS = POLL_MS + 5_000;
const WRITES = new Set(["createStore", "updateStore", "deleteStore"]);
const FIRST: S3Credentials = { accessKeyId: "operatortestkey1", secretAccessKey: "first-secret-Ae3kQ9zL0pWm" };
const SECOND: S3Credentials = { accessKeyId: "operatortestkey2", secretAccessKey: "second-secret-Xb7nR2vT5yUc" };
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;
let s3: S3Server;

/** Every DittoFS call the operator made, by method name. */
const calls: string[] = [];
const count = (pred: (method: string) => boolean): number => calls.filter(pred).length;

const credentialsSecret = (c: S3Credentials): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "s3-credentials", namespace: ns.name },
  stringData: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
});

const s3Store = (allowPrivateEndpoint?: boolean) => ({
  name: "objects",
  type: "s3",
  s3: { endpoint: s3.endpoint, bucket: BUCKET, region: "us-east-1", ...(allowPrivateEndpoint === undefined ? {} : { allowPrivateEndpoint }), credentialsSecretRef: { name: "s3-credentials" } },
});

interface RemoteStore {
  name: string;
  type: string;
  config?: { access_key_id?: string; secret_access_key?: string; bucket?: string };
}
const remoteStores = async (): Promise<RemoteStore[]> => JSON.parse(await dfsctl.run(["store", "block", "remote", "list", "-o", "json"])) as RemoteStore[];
const health = async (): Promise<{ healthy: boolean; details?: string }> =>
  JSON.parse(await dfsctl.run(["store", "block", "health", "--kind", "remote", "--name", "objects", "-o", "json"])) as { healthy: boolean; details?: string };

/** Neither secret key anywhere in the server's status or its events. */
async function assertNoSecretShown(): Promise<void> {
  const shown = JSON.stringify([(await getServer(client, ns.name, NAME)).status, await eventsFor(client, ns.name, NAME)]);
  for (const c of [FIRST, SECOND]) assert.ok(!shown.includes(c.secretAccessKey), "a secret access key is shown in status or events");
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-s3");
  dfsctl = await privateDfsctl();
  operator = await startOperator(ns.name, TEST_OPTIONS, recordingPass(calls));
  const spec = { storage: { metadataSize: "1Gi" }, podLabels: { [RUNNER_LABEL]: "true" }, adapterDiscovery: { pollingInterval: "5s" } };
  await client.create(DITTOSERVERS, dittoServer(ns.name, NAME, spec));
  await waitForCondition(client, ns.name, NAME, "Authenticated", "True", undefined, 120_000);
  // The node address exists once a runner pod does (./versitygw.ts).
  s3 = await startVersitygw(FIRST);
  s3.createBucket(BUCKET);
  await client.create(CORE.secrets, credentialsSecret(FIRST));
  const { status } = await client.get<KubeObject & { status?: { podIP?: string } }>(CORE.pods, { namespace: ns.name, name: `${NAME}-0` });
  const admin = await client.get(CORE.secrets, { namespace: ns.name, name: `${NAME}-admin-bootstrap-credentials` });
  const password = Buffer.from((admin.data as Record<string, string>).password ?? "", "base64").toString("utf8");
  await dfsctl.run(["login", "--server", `http://${status?.podIP ?? ""}:8080`, "--username", "admin", "--password", password]);
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await s3?.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

describe("an S3 block store on a real dfs and a real S3 server", { concurrency: false }, () => {
  it("an endpoint on a private address is refused by the server: StoreRejected names the store, one StoreFailed event, no retry at each poll", async () => {
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { stores: { block: [s3Store()] } } });
    const server = await waitForCondition(client, ns.name, NAME, "StoresReady", "False", "StoreRejected", ONE_POLL_MS);
    assert.match(condition(server.status, "StoresReady")?.message ?? "", /remote store objects rejected: .*private/);
    assert.deepEqual(server.status?.stores?.find((e) => e.name === "objects")?.state, "Rejected");
    assert.equal((await waitForEvent(client, ns.name, NAME, "StoreFailed")).type, "Warning");
    const creates = count((m) => m === "createStore");
    const lists = count((m) => m === "listStores");
    // Two polls (three lists each): the refused store waits for its back-off (30 s), not for the next poll.
    await waitFor("two more polls", () => Promise.resolve(count((m) => m === "listStores") >= lists + 6 ? true : undefined), { timeoutMs: 3 * ONE_POLL_MS, intervalMs: 200 });
    assert.equal(count((m) => m === "createStore"), creates, "no create while the refusal backs off");
    assert.equal((await eventsFor(client, ns.name, NAME)).filter((e) => e.reason === "StoreFailed").length, 1);
  });

  it("allowed, it is created at once with the Secret's key pair, reported Created, and the server's probe of the bucket is healthy", async () => {
    const started = Date.now();
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { stores: { block: [s3Store(true)] } } });
    const server = await waitForCondition(client, ns.name, NAME, "StoresReady", "True", "StoresCreated", ONE_POLL_MS);
    console.log(`S3 store allowed → StoresReady True in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(server.status?.stores?.find((e) => e.name === "objects"), { kind: "remote", name: "objects", type: "s3", state: "Created" });
    const listed = (await remoteStores()).find((s) => s.name === "objects");
    assert.deepEqual([listed?.type, listed?.config?.bucket, listed?.config?.access_key_id], ["s3", BUCKET, FIRST.accessKeyId]);
    assert.notEqual(listed?.config?.secret_access_key, FIRST.secretAccessKey, "the server masks the secret key");
    assert.equal((await health()).healthy, true);
    await assertNoSecretShown();
  });

  it("in sync, two polls make no DittoFS write and no Kubernetes write", async () => {
    const dittofsWrites = count((m) => WRITES.has(m));
    const kubeWrites = await operator.writes();
    const lists = count((m) => m === "listStores");
    await waitFor("two more polls", () => Promise.resolve(count((m) => m === "listStores") >= lists + 6 ? true : undefined), { timeoutMs: 3 * ONE_POLL_MS, intervalMs: 200 });
    assert.equal(count((m) => WRITES.has(m)), dittofsWrites);
    assert.equal(await operator.writes(), kubeWrites);
  });

  it("wrong credentials (the S3 server's keys changed): StoreUnhealthy names the store, Ready stays True", async () => {
    await s3.restart(SECOND);
    const server = await waitForCondition(client, ns.name, NAME, "StoresReady", "False", "StoreUnhealthy", ONE_POLL_MS);
    assert.match(condition(server.status, "StoresReady")?.message ?? "", /remote store objects: the server's probe of it fails/);
    assert.equal(server.status?.stores?.find((e) => e.name === "objects")?.state, "Unhealthy");
    assert.equal(condition(server.status, "Ready")?.status, "True", "a failing store does not stop the server from serving");
    await assert.rejects(health(), /store is unhealthy: S3 connectivity check failed/, "dfsctl sees the same");
    await waitFor("a second StoreFailed event", async () => ((await eventsFor(client, ns.name, NAME)).filter((e) => e.reason === "StoreFailed").length >= 2 ? true : undefined), { timeoutMs: 10_000, intervalMs: 250 });
  });

  it("rotating the Secret pushes the new key pair at once: healthy again", async () => {
    const updates = count((m) => m === "updateStore");
    const started = Date.now();
    await client.mergePatch(CORE.secrets, { namespace: ns.name, name: "s3-credentials" }, { stringData: { accessKeyId: SECOND.accessKeyId, secretAccessKey: SECOND.secretAccessKey } });
    await waitForCondition(client, ns.name, NAME, "StoresReady", "True", "StoresCreated", ONE_POLL_MS);
    console.log(`Secret rotated → StoresReady True in ${((Date.now() - started) / 1000).toFixed(1)} s (poll interval ${POLL_MS / 1000} s)`);
    assert.equal(count((m) => m === "updateStore"), updates + 1, "one PUT");
    assert.equal((await remoteStores()).find((s) => s.name === "objects")?.config?.access_key_id, SECOND.accessKeyId);
    assert.equal((await health()).healthy, true);
    await assertNoSecretShown();
  });

  it("a changed secret key alone (same key ID) reaches the server too", async () => {
    const third = { accessKeyId: SECOND.accessKeyId, secretAccessKey: "third-secret-Mq4wE8rY1uIo" };
    await s3.restart(third);
    await waitForCondition(client, ns.name, NAME, "StoresReady", "False", "StoreUnhealthy", ONE_POLL_MS);
    await client.mergePatch(CORE.secrets, { namespace: ns.name, name: "s3-credentials" }, { stringData: { secretAccessKey: third.secretAccessKey } });
    await waitForCondition(client, ns.name, NAME, "StoresReady", "True", "StoresCreated", ONE_POLL_MS);
    assert.equal((await health()).healthy, true);
  });
});
