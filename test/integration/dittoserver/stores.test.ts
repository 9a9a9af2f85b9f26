/**
 * `spec.stores` pushed to the real dfs behind the DittoServer pod (the pod runner): a badger metadata store on the
 * metadata volume and a local block store on the content volume are created through the API and usable by a share
 * made with dfsctl; in sync a poll makes no DittoFS write; a store removed with dfsctl comes back within one poll;
 * a store made with dfsctl is reported as unmanaged and left alone, and one that takes a specified name is a conflict.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, getServer, installCrd, recordingPass, startOperator, TEST_OPTIONS, waitForCondition, waitForEvent } from "./support.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";

const NAME = "stores";
const POLL_MS = 5_000;
/** One poll interval, plus a pass and the watch that shows its result (the machine is shared and loaded). */
const ONE_POLL_MS = POLL_MS + 5_000;
const WRITES = new Set(["createStore", "updateStore", "deleteStore"]);
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;

/** Every DittoFS call the operator made, by method name. */
const calls: string[] = [];
const count = (pred: (method: string) => boolean): number => calls.filter(pred).length;

interface ListedStore {
  name: string;
  type: string;
  config?: { path?: string };
}
const listed = async (...kind: string[]): Promise<ListedStore[]> => JSON.parse(await dfsctl.run(["store", ...kind, "list", "-o", "json"])) as ListedStore[];

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-stores");
  dfsctl = await privateDfsctl();
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodTimeoutMs: 120_000 }, recordingPass(calls));
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

describe("stores of spec.stores on a real dfs", { concurrency: false }, () => {
  it("a badger metadata store and a local block store are created on the volumes, reported, and a share can use them", async () => {
    const spec = {
      storage: { metadataSize: "1Gi", contentSize: "1Gi" },
      podLabels: { [RUNNER_LABEL]: "true" },
      adapterDiscovery: { pollingInterval: "5s" },
      stores: { metadata: [{ name: "meta", type: "badger" }], block: [{ name: "blocks", type: "local" }, { name: "spare", type: "memory" }] },
    };
    await client.create(DITTOSERVERS, dittoServer(ns.name, NAME, spec));
    const ready = await waitForCondition(client, ns.name, NAME, "StoresReady", "True", "StoresCreated", 120_000);
    const ours = ready.status?.stores?.filter((e) => e.state !== "Unmanaged");
    assert.deepEqual(ours, [
      { kind: "block", name: "blocks", type: "fs", state: "Created" },
      { kind: "block", name: "spare", type: "memory", state: "Created" },
      { kind: "metadata", name: "meta", type: "badger", state: "Created" },
    ]);

    const { status } = await client.get<KubeObject & { status?: { podIP?: string } }>(CORE.pods, { namespace: ns.name, name: `${NAME}-0` });
    const admin = await client.get(CORE.secrets, { namespace: ns.name, name: `${NAME}-admin-bootstrap-credentials` });
    const password = Buffer.from((admin.data as Record<string, string>).password ?? "", "base64").toString("utf8");
    await dfsctl.run(["login", "--server", `http://${status?.podIP ?? ""}:8080`, "--username", "admin", "--password", password]);
    const meta = (await listed("metadata")).find((s) => s.name === "meta");
    assert.deepEqual([meta?.type, meta?.config?.path], ["badger", "/data/metadata/stores/meta"]);
    const blocks = (await listed("block", "local")).find((s) => s.name === "blocks");
    assert.deepEqual([blocks?.type, blocks?.config?.path], ["fs", "/data/content/stores/blocks"]);
    await dfsctl.run(["share", "create", "--name", "/export", "--metadata", "meta", "--local", "blocks"]);
    assert.match(await dfsctl.run(["share", "list"]), /\/export/);
  });

  it("in sync, polls make no DittoFS write", async () => {
    const writesBefore = count((m) => WRITES.has(m));
    const listsBefore = count((m) => m === "listStores");
    // Two polls: two lists each.
    await waitFor("two more polls", () => Promise.resolve(count((m) => m === "listStores") >= listsBefore + 4 ? true : undefined), { timeoutMs: 3 * ONE_POLL_MS, intervalMs: 200 });
    assert.equal(count((m) => WRITES.has(m)), writesBefore);
  });

  it("a store removed with dfsctl comes back within one poll", async () => {
    await dfsctl.run(["store", "block", "local", "remove", "spare", "--force"]);
    assert.ok(!(await listed("block", "local")).some((s) => s.name === "spare"), "removed");
    const started = Date.now();
    await waitFor("spare created again", async () => ((await listed("block", "local")).some((s) => s.name === "spare") ? true : undefined), { timeoutMs: ONE_POLL_MS, intervalMs: 500 });
    console.log(`store removed with dfsctl → created again in ${((Date.now() - started) / 1000).toFixed(1)} s (poll interval ${POLL_MS / 1000} s)`);
  });

  it("a store made with dfsctl is reported as unmanaged and left alone", async () => {
    await dfsctl.run(["store", "metadata", "add", "--name", "manual", "--type", "memory"]);
    const server = await waitFor("manual reported", async () => {
      const s = await getServer(client, ns.name, NAME);
      return s.status?.stores?.some((e) => e.name === "manual") ? s : undefined;
    }, { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
    assert.deepEqual(server.status?.stores?.find((e) => e.name === "manual"), { kind: "metadata", name: "manual", type: "memory", state: "Unmanaged" });
    assert.equal(condition(server.status, "StoresReady")?.status, "True");
    assert.ok((await listed("metadata")).some((s) => s.name === "manual"), "still on the server");
    assert.equal(calls.filter((m) => m === "deleteStore").length, 0, "the operator never removed a store");
  });

  it("a specified store whose name dfsctl already took differently is a conflict: named in StoresReady and a StoreFailed event, left alone", async () => {
    await dfsctl.run(["store", "metadata", "add", "--name", "taken", "--type", "memory"]);
    const stores = { metadata: [{ name: "meta", type: "badger" }, { name: "taken", type: "badger" }], block: [{ name: "blocks", type: "local" }, { name: "spare", type: "memory" }] };
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: NAME }, { spec: { stores } });
    const server = await waitForCondition(client, ns.name, NAME, "StoresReady", "False", "StoreConflict", ONE_POLL_MS);
    assert.match(condition(server.status, "StoresReady")?.message ?? "", /metadata store taken/);
    assert.equal(server.status?.stores?.find((e) => e.name === "taken")?.state, "Conflict");
    assert.equal((await waitForEvent(client, ns.name, NAME, "StoreFailed")).type, "Warning");
    assert.equal(condition(server.status, "Ready")?.status, "True", "a store conflict does not stop the server from serving");
    assert.equal((await listed("metadata")).find((s) => s.name === "taken")?.type, "memory", "left as dfsctl made it");
  });
});
