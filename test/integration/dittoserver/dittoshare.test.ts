/**
 * DittoShares against the real dfs behind a DittoServer pod (the pod runner): shares created on the server's
 * stores and visible with dfsctl, drift reverted within one poll, nothing written in sync, shares the operator
 * does not own left alone (and adopted on request), the problems a spec can meet reported, Retain versus Delete,
 * and a DittoServer deleted first (ServerNotFound, no hot loop, the finalizer goes without a call).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DittoShareStatus } from "../../../src/api/schema/dittoshare.ts";
import { API_VERSION } from "../../../src/api/constants.ts";
import { DITTOSHARES } from "../../../src/dittoshare/kind.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { Condition, KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import { privateDfsctl } from "./dfsctl.ts";
import type { Dfsctl } from "./dfsctl.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, installCrd, recordingBorrowers, startOperator, TEST_OPTIONS } from "./support.ts";

const SERVER = "shares";
const POLL_MS = 5_000;
/** One poll interval, plus a pass and the watch that shows its result (the machine is shared and loaded). */
const ONE_POLL_MS = POLL_MS + 5_000;
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let dfsctl: Dfsctl;

/** Every call the DittoShare controller made through its borrowed clients, as `METHOD path`. */
const borrowed: string[] = [];
const writes = (): string[] => borrowed.filter((c) => !c.startsWith("GET "));


type Share = KubeObject & { status?: DittoShareStatus };
const shareSpec = (spec: Record<string, unknown> = {}) => ({ serverRef: { name: SERVER }, metadataStore: "meta", localBlockStore: "blocks", ...spec });
const createShare = (name: string, spec: Record<string, unknown>) =>
  client.create(DITTOSHARES, { apiVersion: API_VERSION, kind: DITTOSHARES.kind, metadata: { name, namespace: ns.name }, spec: shareSpec(spec) } as KubeObject);
const getShare = (name: string): Promise<Share | undefined> => client.getOrUndefined(DITTOSHARES, { namespace: ns.name, name });
const conditionOf = (s: Share | undefined, type: string): Condition | undefined => s?.status?.conditions?.find((c) => c.type === type);

async function waitForShare(name: string, type: "Ready" | "Synced", status: "True" | "False", reason: string, timeoutMs = ONE_POLL_MS): Promise<Share> {
  return waitFor(`DittoShare ${name} ${type}=${status} ${reason}`, async () => {
    const s = await getShare(name);
    const c = conditionOf(s, type);
    if (c?.status === status && c.reason === reason) return s;
    if (c) throw new Error(`now ${type}=${c.status} ${c.reason}: ${c.message}`);
    return undefined;
  }, { timeoutMs, intervalMs: 200 });
}

async function eventOn(name: string, reason: string, timeoutMs = ONE_POLL_MS): Promise<{ type: string; note: string }> {
  return waitFor(`event ${reason} on DittoShare ${name}`, async () => {
    const list = await client.list<{ regarding?: { kind?: string; name?: string }; type: string; reason: string; note?: string }>(CORE.events, { namespace: ns.name });
    const e = list.items.find((i) => i.regarding?.kind === DITTOSHARES.kind && i.regarding.name === name && i.reason === reason);
    return e ? { type: e.type, note: e.note ?? "" } : undefined;
  }, { timeoutMs, intervalMs: 250 });
}

interface ListedShare {
  name: string;
  metadata_store: string;
  local_block_store: string;
  enabled: boolean;
}
const onServer = async (): Promise<ListedShare[]> => JSON.parse(await dfsctl.run(["share", "list", "-o", "json"])) as ListedShare[];
/** `dfsctl share show` of one share (read_only is left out when false). */
const shown = async (name: string): Promise<{ id: string; read_only?: boolean }> => JSON.parse(await dfsctl.run(["share", "show", name, "-o", "json"])) as { id: string; read_only?: boolean };

/** Polls of share `name`: its GETs so far. */
const polls = (name: string): number => borrowed.filter((c) => c === `GET /shares/${encodeURIComponent(name)}`).length;

before(async () => {
  await installCrd();
  ns = await createTestNamespace("dittoshares");
  dfsctl = await privateDfsctl();
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodTimeoutMs: 120_000 }, recordingBorrowers(borrowed));
});

after(async () => {
  for (const s of (await client.list(DITTOSHARES, { namespace: ns.name })).items) await client.delete(DITTOSHARES, { namespace: ns.name, name: s.metadata.name ?? "" }).catch(() => undefined);
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  await dfsctl.remove();
});

describe("DittoShares on a real dfs", { concurrency: false }, () => {
  it("a DittoShare created with its DittoServer waits for the server's session, then creates the share on the server's stores", async () => {
    const started = Date.now();
    const spec = {
      storage: { metadataSize: "1Gi", contentSize: "1Gi" },
      podLabels: { [RUNNER_LABEL]: "true" },
      adapterDiscovery: { pollingInterval: `${POLL_MS / 1000}s` },
      stores: { metadata: [{ name: "meta", type: "badger" }], block: [{ name: "blocks", type: "local" }] },
      // The server's own policy for /conflict wins over a DittoShare's.
      snapshotPolicies: [{ share: "/conflict", interval: "24h" }],
    };
    await client.create(DITTOSERVERS, dittoServer(ns.name, SERVER, spec));
    await createShare("export", { reclaimPolicy: "Delete", squash: "all_to_guest", permissions: { users: [{ name: "admin", level: "read" }] }, snapshotPolicy: { interval: "24h", keepLast: 3 } });
    await createShare("keep", { shareName: "/kept", reclaimPolicy: "Retain", enabled: false });
    await waitForShare("export", "Synced", "False", "ServerNotReady", 30_000);
    const ready = await waitForShare("export", "Synced", "True", "InSync", 120_000);
    console.log(`DittoShare created with its DittoServer → share in sync after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(conditionOf(ready, "Ready")?.reason, "ShareReady");
    assert.deepEqual([ready.status?.shareName, ready.status?.ownership, ready.status?.server], ["/export", "Created", SERVER]);
    assert.deepEqual(ready.status?.snapshotPolicy, { interval: "24h", keepLast: 3 });
    assert.deepEqual(ready.status?.permissions, { users: [{ name: "admin", level: "read" }] });
    assert.equal((await eventOn("export", "ShareCreated")).type, "Normal");
    await waitForShare("keep", "Synced", "True", "InSync");

    const { status } = await client.get<KubeObject & { status?: { podIP?: string } }>(CORE.pods, { namespace: ns.name, name: `${SERVER}-0` });
    const admin = await client.get(CORE.secrets, { namespace: ns.name, name: `${SERVER}-admin-bootstrap-credentials` });
    const password = Buffer.from((admin.data as Record<string, string>).password ?? "", "base64").toString("utf8");
    await dfsctl.run(["login", "--server", `http://${status?.podIP ?? ""}:8080`, "--username", "admin", "--password", password]);
    const listed = await onServer();
    const exported = listed.find((s) => s.name === "/export");
    assert.deepEqual([exported?.metadata_store, exported?.local_block_store], ["meta", "blocks"], "on the server's stores");
    assert.equal((await shown("/export")).id, ready.status?.shareID, "dfsctl sees the share the status records");
    assert.equal(listed.find((s) => s.name === "/kept")?.enabled, false, "disabled as specified");
    const nfs = JSON.parse(await dfsctl.run(["share", "nfs-config", "show", "/export", "-o", "json"])) as { squash?: string };
    assert.equal(nfs.squash, "all_to_guest");
    const grants = JSON.parse(await dfsctl.run(["share", "permission", "list", "/export", "-o", "json"])) as { type: string; name: string; level: string }[];
    assert.ok(grants.some((g) => g.type === "user" && g.name === "admin" && g.level === "read"), JSON.stringify(grants));
  });

  it("in sync, two polls make no DittoFS write and no Kubernetes write; read-only set with dfsctl is reverted within one poll", async () => {
    const k8sWrites = await operator.writes();
    const dittofsWrites = writes().length;
    const start = polls("/export");
    await waitFor("two more polls of /export", () => Promise.resolve(polls("/export") >= start + 2 ? true : undefined), { timeoutMs: 3 * ONE_POLL_MS, intervalMs: 200 });
    assert.deepEqual(writes().slice(dittofsWrites), [], "no DittoFS write");
    assert.equal(await operator.writes(), k8sWrites, "no Kubernetes write");

    await dfsctl.run(["share", "edit", "/export", "--read-only", "true"]);
    assert.equal((await shown("/export")).read_only, true);
    const edited = Date.now();
    await waitFor("/export writable again", async () => ((await shown("/export")).read_only ? undefined : true), { timeoutMs: ONE_POLL_MS, intervalMs: 500 });
    console.log(`read-only set with dfsctl → reverted in ${((Date.now() - edited) / 1000).toFixed(1)} s (poll interval ${POLL_MS / 1000} s)`);
    assert.match((await eventOn("export", "ShareUpdated")).note, /read_only=false/);
  });

  it("a share made with dfsctl is left alone and reported, then adopted on request; the problems a spec can meet are reported", async () => {
    await dfsctl.run(["share", "create", "--name", "/manual", "--metadata", "meta", "--local", "blocks"]);
    const manualId = (await shown("/manual")).id;
    await createShare("manual", { readOnly: true });
    await createShare("nostore", { metadataStore: "missing" });
    await createShare("nobody", { permissions: { users: [{ name: "nobody", level: "read" }] } });
    await createShare("conflict", { snapshotPolicy: { interval: "1h" } });
    await createShare("remote", { remoteBlockStore: "nowhere" });

    const unmanaged = await waitForShare("manual", "Synced", "False", "ShareUnmanaged");
    assert.match(conditionOf(unmanaged, "Synced")?.message ?? "", /dittofs\.dittofs\.com\/adopt: "true"/);
    assert.equal(conditionOf(unmanaged, "Ready")?.reason, "ShareUnmanaged");
    assert.match(conditionOf(await waitForShare("nostore", "Synced", "False", "StoreNotFound"), "Synced")?.message ?? "", /metadata store missing/);
    assert.match(conditionOf(await waitForShare("nobody", "Synced", "False", "PrincipalNotFound"), "Synced")?.message ?? "", /user nobody/);
    assert.match(conditionOf(await waitForShare("conflict", "Synced", "False", "SnapshotPolicyConflict"), "Synced")?.message ?? "", /\/conflict, which wins/);
    assert.match(conditionOf(await waitForShare("remote", "Synced", "False", "APIRejected"), "Synced")?.message ?? "", /nowhere/);
    assert.equal((await eventOn("manual", "ShareUnmanaged")).type, "Warning");
    const manual = await shown("/manual");
    assert.deepEqual([manual.id, manual.read_only ?? false], [manualId, false], "untouched");
    assert.ok(!writes().some((w) => w.includes(encodeURIComponent("/manual"))), "no call changed /manual");

    await client.mergePatch(DITTOSHARES, { namespace: ns.name, name: "manual" }, { metadata: { annotations: { "dittofs.dittofs.com/adopt": "true" } } });
    const adopted = await waitForShare("manual", "Synced", "True", "InSync");
    assert.deepEqual([adopted.status?.ownership, adopted.status?.shareID], ["Adopted", manualId]);
    assert.equal((await shown("/manual")).read_only, true, "set to the spec once adopted");
    assert.equal((await eventOn("manual", "ShareAdopted")).type, "Normal");
    for (const name of ["manual", "nostore", "nobody", "conflict", "remote"]) await client.delete(DITTOSHARES, { namespace: ns.name, name });
    await waitFor("the DittoShares of this test gone", async () => ((await client.list(DITTOSHARES, { namespace: ns.name })).items.some((s) => s.metadata.name === "manual" || s.metadata.name === "remote") ? undefined : true), { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
  });

  it("deleting DittoShares: Retain leaves the share on the server, Delete removes it", async () => {
    await client.delete(DITTOSHARES, { namespace: ns.name, name: "keep" });
    await client.delete(DITTOSHARES, { namespace: ns.name, name: "export" });
    await waitFor("both DittoShares gone", async () => ((await getShare("keep")) || (await getShare("export")) ? undefined : true), { timeoutMs: ONE_POLL_MS, intervalMs: 200 });
    const names = (await onServer()).map((s) => s.name);
    assert.ok(names.includes("/kept"), "Retain: kept");
    assert.ok(!names.includes("/export"), "Delete: removed");
    assert.equal((await eventOn("export", "ShareDeleted")).type, "Normal");
  });

  it("the DittoServer deleted first: ServerNotFound with no hot loop, and the finalizer goes without a call", async () => {
    await createShare("late", { reclaimPolicy: "Delete" });
    await waitForShare("late", "Synced", "True", "InSync");
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: SERVER });
    await waitForShare("late", "Synced", "False", "ServerNotFound", 120_000);
    const calls = borrowed.length;
    // Requeues scheduled before the server went (one poll interval at most) fire once each; then nothing may run.
    await new Promise((r) => setTimeout(r, POLL_MS));
    const reconciles = await operator.reconciles();
    await new Promise((r) => setTimeout(r, 2 * POLL_MS));
    const during = (await operator.reconciles()) - reconciles;
    console.log(`DittoServer gone: ${during} reconciles and ${borrowed.length - calls} DittoFS calls in ${(2 * POLL_MS) / 1000} s`);
    assert.ok(during <= 1, `no hot loop: ${during} reconciles in two poll intervals`);
    assert.equal(borrowed.length, calls, "no DittoFS call without a server");

    await client.delete(DITTOSHARES, { namespace: ns.name, name: "late" });
    await waitFor("late gone", async () => ((await getShare("late")) ? undefined : true), { timeoutMs: 10_000, intervalMs: 200 });
    assert.match((await eventOn("late", "CleanupSkipped")).note, /finalizer removed without calling its API/);
  });
});
