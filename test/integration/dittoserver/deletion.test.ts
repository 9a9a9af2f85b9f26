/**
 * Deletion behind the finalizer: phase Deleting while the file-server pod terminates (held here by a finalizer
 * of the test's own, as a pod stuck on a slow drain would be), the finalizer removed only once the pod is gone,
 * PVCs kept; and a pod that never goes does not keep the DittoServer past the timeout.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS, PVCS } from "../../../src/dittoserver/kinds.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, eventsFor, installCrd, pod, startOperator, TEST_OPTIONS, waitForCondition, waitForEvent, waitForPhase } from "./support.ts";

const HOLD = "dittofs-e2e.test/hold";
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;

async function readyServerWithHeldPod(name: string): Promise<void> {
  await client.create(DITTOSERVERS, dittoServer(ns.name, name, { storage: { metadataSize: "1Gi" } }));
  await waitForCondition(client, ns.name, name, "Ready", "True");
  await client.mergePatch(CORE.pods, { namespace: ns.name, name: `${name}-0` }, { metadata: { finalizers: [HOLD] } });
}

async function release(name: string): Promise<void> {
  await client.mergePatch(CORE.pods, { namespace: ns.name, name: `${name}-0` }, { metadata: { finalizers: null } }).catch(() => undefined);
}

async function gone(name: string): Promise<void> {
  await waitFor(`DittoServer ${name} gone`, async () => ((await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name })) ? undefined : true), { timeoutMs: 30_000, intervalMs: 200 });
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-deletion");
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodWarningMs: 4_000, deletionPodTimeoutMs: 8_000 });
});

after(async () => {
  for (const name of ["del1", "del2"]) await release(name);
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
});

describe("DittoServer deletion", { concurrency: false }, () => {
  it("waits for the pod before removing the finalizer; PVCs stay", async () => {
    await readyServerWithHeldPod("del1");
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: "del1" });
    const deleting = await waitForPhase(client, ns.name, "del1", "Deleting");
    assert.ok(deleting.metadata.finalizers?.includes("dittofs.dittofs.com/finalizer"));
    const ready = await waitForCondition(client, ns.name, "del1", "Ready", "False", "Deleting");
    assert.match(condition(ready.status, "Ready")?.message ?? "", /del1-0/);
    const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: "del1" });
    assert.equal((sts.spec as { replicas: number }).replicas, 0, "scaled to 0");
    // The StatefulSet controller deletes the pod after the scale-down, asynchronously.
    await waitFor("pod del1-0 terminating", async () => ((await pod(client, ns.name, "del1"))?.metadata.deletionTimestamp ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
    assert.ok(await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: "del1" }), "still there while its pod is");

    await release("del1");
    await gone("del1");
    const reasons = (await eventsFor(client, ns.name, "del1")).map((e) => e.reason);
    for (const r of ["Deleting", "PodsTerminated"]) assert.ok(reasons.includes(r), `${r} in ${reasons.join(",")}`);
    assert.equal(reasons.filter((r) => r === "Deleting").length, 1, "Deleting once");
    assert.ok(!reasons.includes("CleanupTimeout"));
    for (const claim of ["metadata-del1-0", "controlplane-del1-0"]) assert.ok(await client.getOrUndefined(PVCS, { namespace: ns.name, name: claim }), `${claim} kept`);
  });

  it("does not keep the DittoServer past the timeout when a pod never terminates", async () => {
    await readyServerWithHeldPod("del2");
    const started = Date.now();
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: "del2" });
    const warning = await waitForEvent(client, ns.name, "del2", "PodsTerminatingSlowly");
    assert.equal(warning.type, "Warning");
    assert.match(warning.note, /del2-0 still terminating after \d+s; waiting up to 8s/);
    await gone("del2");
    console.log(`DittoServer with a stuck pod gone after ${((Date.now() - started) / 1000).toFixed(1)} s (timeout 8 s)`);
    const timeout = await waitForEvent(client, ns.name, "del2", "CleanupTimeout");
    assert.equal(timeout.type, "Warning");
    assert.ok((await pod(client, ns.name, "del2"))?.metadata.deletionTimestamp, "the pod is still terminating: the operator went on without it");
    await release("del2");
  });
});
