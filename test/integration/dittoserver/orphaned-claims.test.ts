/**
 * Someone else's scale-up (issue 15, item 6): the StatefulSet scaled to 2 while the operator is away makes pod 1
 * and its claims; the operator, back, reverts the replicas and deletes the claim of ordinal 1 that never bound, but
 * keeps the one that bound (a volume a pod could write to) and every claim of ordinal 0. The claims bind only to
 * volumes made here (a class without a provisioner), so which one binds is decided by the test, not by timing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS, PVCS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, kubectl, kubectlOk, waitFor } from "../../controlplane/testenv.ts";
import { preboundVolume, storageClass } from "./stand-ins.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, eventsFor, installCrd, pod, startOperator, waitForCondition } from "./support.ts";

const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator | undefined;
/** Cluster-scoped objects this file creates, deleted in `after`. */
const clusterObjects: string[] = [];

async function applyJson(obj: KubeObject): Promise<void> {
  await kubectlOk(["apply", "-f", "-"], { namespace: ns.name, input: JSON.stringify(obj) });
}

function phase(claim: KubeObject | undefined): string | undefined {
  return (claim?.status as { phase?: string } | undefined)?.phase;
}

async function claim(name: string): Promise<KubeObject | undefined> {
  return client.getOrUndefined(PVCS, { namespace: ns.name, name });
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-orphans");
});

after(async () => {
  if (operator) {
    await deleteAllServers(client, ns.name).catch(() => undefined);
    await operator.stop();
  }
  if (clusterObjects.length) await kubectl(["delete", "--ignore-not-found", "--wait=false", ...clusterObjects]);
  await ns.delete();
  await client.close();
});

describe("claims of someone else's scale-up", () => {
  it("the never-bound claim of the extra pod is deleted; the bound one and ordinal 0's are kept", async () => {
    const sc = `${ns.name}-static`;
    clusterObjects.push(`storageclass/${sc}`);
    await applyJson(storageClass(sc, "dittofs-e2e.test/static", false));
    // Volumes for both claims of ordinal 0, and for the metadata claim of ordinal 1 only.
    for (const name of ["metadata-o1-0", "controlplane-o1-0", "metadata-o1-1"]) {
      clusterObjects.push(`persistentvolume/${ns.name}-${name}`);
      await applyJson(preboundVolume(`${ns.name}-${name}`, sc, ns.name, name));
    }
    operator = await startOperator(ns.name);
    await client.create(DITTOSERVERS, dittoServer(ns.name, "o1", { storage: { metadataSize: "1Gi", controlPlaneSize: "1Gi", storageClassName: sc } }));
    await waitForCondition(client, ns.name, "o1", "Ready", "True", "ServerReady");

    // The scale-up happens while the operator is away, so it cannot be reverted before pod 1 and its claims exist.
    await operator.stop();
    operator = undefined;
    await kubectlOk(["scale", "statefulset/o1", "--replicas=2"], { namespace: ns.name });
    await waitFor("pod o1-1 and its claims", async () => {
      const [pod1, metadata, controlplane] = await Promise.all([client.getOrUndefined(CORE.pods, { namespace: ns.name, name: "o1-1" }), claim("metadata-o1-1"), claim("controlplane-o1-1")]);
      return pod1 && phase(metadata) === "Bound" && phase(controlplane) === "Pending" ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });

    operator = await startOperator(ns.name);
    await waitFor("replicas reverted and the never-bound claim gone", async () => {
      const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: "o1" });
      return (sts.spec as { replicas: number }).replicas === 1 && !(await claim("controlplane-o1-1")) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor("pod o1-1 gone", async () => ((await client.getOrUndefined(CORE.pods, { namespace: ns.name, name: "o1-1" })) ? undefined : true), { timeoutMs: 30_000, intervalMs: 200 });

    const kept = await claim("metadata-o1-1");
    assert.equal(phase(kept), "Bound", "the claim that bound is data: kept");
    assert.equal(kept?.metadata.deletionTimestamp, undefined);
    for (const name of ["metadata-o1-0", "controlplane-o1-0"]) assert.equal(phase(await claim(name)), "Bound", `${name} kept`);
    assert.ok(await pod(client, ns.name, "o1"), "pod 0 still there");
    const deleted = (await eventsFor(client, ns.name, "o1")).filter((e) => e.reason === "ChildrenDeleted");
    assert.ok(deleted.some((e) => e.note.includes("PersistentVolumeClaim/controlplane-o1-1")), "an event names the deleted claim");
    assert.ok(!deleted.some((e) => /PersistentVolumeClaim\/(metadata-o1-1|[a-z]+-o1-0)/.test(e.note)));
  });
});
