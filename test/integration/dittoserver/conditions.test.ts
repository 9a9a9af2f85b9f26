/**
 * The condition reasons and events the happy paths do not reach, produced for real: a write refused by a
 * ResourceQuota (ApplyFailed, ReconcileError, ReconcileFailed and the states before the StatefulSet exists), a
 * PVC that never binds (WaitingForPodReady), a scale-down held by a terminating pod (Scaling), volume growth on
 * an expandable class (ExpandingVolumes), a container reported as crash-looping (PodFailing, Degraded), and a
 * deletion step refused by an admission policy (CleanupFailed). Transient reasons are taken from the watch the
 * file's reason recorder holds from before each server exists (support.ts), so short-lived status writes count.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS, PVCS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, kubectl, kubectlOk as kubectlInNamespace, waitFor } from "../../controlplane/testenv.ts";
import { preboundVolume, storageClass as standInClass } from "./stand-ins.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, getServer, installCrd, pod, startOperator, waitForCondition, waitForEvent, waitForPhase } from "./support.ts";

type Json = Record<string, unknown>;
const client = adminClient();
const HOLD = "dittofs-e2e.test/hold";
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
/** Cluster-scoped objects this file creates, deleted in `after`. */
const clusterObjects: string[] = [];

function kubectlOk(args: string[], input?: string): Promise<string> {
  return kubectlInNamespace(args, { namespace: ns.name, ...(input !== undefined ? { input } : {}) });
}

async function applyJson(obj: Json | KubeObject): Promise<void> {
  await kubectlOk(["apply", "-f", "-"], JSON.stringify(obj));
}

/** The recorder saw `Type/Reason` on server `name` (at any moment since its creation). */
async function sawCondition(name: string, typeReason: string): Promise<void> {
  await waitFor(`${name} ${typeReason} seen by the watch`, () => {
    if (operator.reasons.conditions(name).has(typeReason)) return Promise.resolve(true);
    return Promise.reject(new Error(`seen so far: ${[...operator.reasons.conditions(name)].sort().join(", ")}`));
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

async function readyServer(name: string, storage: Json = { metadataSize: "1Gi" }): Promise<void> {
  await client.create(DITTOSERVERS, dittoServer(ns.name, name, { storage }));
  await waitForCondition(client, ns.name, name, "Ready", "True", "ServerReady");
}

function storageClass(name: string, provisioner: string, allowVolumeExpansion: boolean): KubeObject {
  clusterObjects.push(`storageclass/${name}`);
  return standInClass(name, provisioner, allowVolumeExpansion);
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-conditions");
  operator = await startOperator(ns.name);
});

after(async () => {
  for (const name of ["s1"]) await client.mergePatch(CORE.pods, { namespace: ns.name, name: `${name}-0` }, { metadata: { finalizers: null } }).catch(() => undefined);
  // --wait=false: a PersistentVolume stays (pv-protection) until its claim goes with the namespace.
  for (const obj of [...clusterObjects].reverse()) await kubectl(["delete", obj, "--ignore-not-found", "--wait=false"]);
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
});

describe("DittoServer conditions off the happy path", { concurrency: false }, () => {
  it("a write refused by a ResourceQuota: ApplyFailed, ReconcileError and a ReconcileFailed warning naming it; recovers when the quota goes", async () => {
    await applyJson({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "no-configmaps", namespace: ns.name }, spec: { hard: { "count/configmaps": "0" } } });
    // Admission refuses with a clear message once the quota controller has computed the usage.
    await waitFor("quota no-configmaps computed", async () => ((await kubectlOk(["get", "resourcequota", "no-configmaps", "-o", "jsonpath={.status.used}"])) ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    await client.create(DITTOSERVERS, dittoServer(ns.name, "q1", { storage: { metadataSize: "1Gi" } }));

    const failed = await waitForCondition(client, ns.name, "q1", "ConfigReady", "False", "ApplyFailed");
    assert.match(condition(failed.status, "ConfigReady")?.message ?? "", /apply ConfigMap q1-config: .*exceeded quota: no-configmaps/);
    assert.equal(failed.status?.phase, "Pending", "transient, not Failed");
    const degraded = await waitForCondition(client, ns.name, "q1", "Degraded", "True", "ReconcileError");
    assert.match(condition(degraded.status, "Degraded")?.message ?? "", /no-configmaps/);
    assert.equal(condition(degraded.status, "Ready")?.reason, "ConfigNotReady");
    // The StatefulSet comes after the ConfigMap: it was never created.
    assert.equal(condition(degraded.status, "Available")?.reason, "StatefulSetNotFound");
    assert.equal(condition(degraded.status, "Progressing")?.reason, "Creating");
    const warning = await waitForEvent(client, ns.name, "q1", "ReconcileFailed");
    assert.equal(warning.type, "Warning");
    assert.match(warning.note, /exceeded quota: no-configmaps/);

    await kubectlOk(["delete", "resourcequota", "no-configmaps"]);
    const ready = await waitForCondition(client, ns.name, "q1", "Ready", "True", "ServerReady");
    assert.equal(condition(ready.status, "Degraded")?.reason, "AsExpected");
    // The pass that created the StatefulSet reported the start as one state: waiting for the pod.
    for (const seen of ["Available/NoReplicasAvailable", "Ready/NotAvailable", "Progressing/WaitingForPodReady"]) await sawCondition("q1", seen);
  });

  it("a claim that never binds: WaitingForPodReady, NoReplicasAvailable with the scheduler's reason", async () => {
    await applyJson(storageClass(`${ns.name}-never-binds`, "dittofs-e2e.test/no-such-provisioner", false));
    await client.create(DITTOSERVERS, dittoServer(ns.name, "w1", { storage: { metadataSize: "1Gi", storageClassName: `${ns.name}-never-binds` } }));
    const waiting = await waitForCondition(client, ns.name, "w1", "Progressing", "True", "WaitingForPodReady");
    assert.equal(waiting.status?.phase, "Pending");
    // The scheduler's reason joins the messages once it has refused the pod for --volume-binding-grace (3 s here).
    const reported = await waitFor("the scheduler's reason in the status", async () => {
      const s = await getServer(client, ns.name, "w1");
      return /unbound immediate PersistentVolumeClaims/.test(condition(s.status, "Available")?.message ?? "") ? s : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    assert.equal(condition(reported.status, "Available")?.reason, "NoReplicasAvailable");
    assert.match(condition(reported.status, "Progressing")?.message ?? "", /waiting for pod w1-0 to become ready: .*unbound immediate PersistentVolumeClaims/);
  });

  it("a deletion step refused by an admission policy: CleanupFailed, retried until it passes", async () => {
    const policy = `${ns.name}-deny-sts-update`;
    await applyJson({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: policy },
      spec: { failurePolicy: "Fail", matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["statefulsets"] }] }, validations: [{ expression: "false", message: "StatefulSet updates are frozen by the test" }] },
    });
    clusterObjects.push(`validatingadmissionpolicy/${policy}`);
    await applyJson({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: policy },
      spec: { policyName: policy, validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns.name } } } },
    });
    clusterObjects.push(`validatingadmissionpolicybinding/${policy}`);
    // The policy takes effect asynchronously: probe it with a server-side dry run.
    await waitFor("the policy denies StatefulSet updates", async () => {
      const r = await kubectl(["patch", "statefulset", "w1", "--dry-run=server", "--type=merge", "-p", "{\"spec\":{\"replicas\":0}}"], { namespace: ns.name });
      return r.code !== 0 && /frozen by the test/.test(r.stderr) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });

    await client.delete(DITTOSERVERS, { namespace: ns.name, name: "w1" });
    const failed = await waitForEvent(client, ns.name, "w1", "CleanupFailed");
    assert.equal(failed.type, "Warning");
    assert.match(failed.note, /deletion step failed \(retrying\): .*frozen by the test/);
    assert.ok(await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: "w1" }), "the finalizer stays while the step fails");

    await kubectlOk(["delete", "validatingadmissionpolicybinding", policy]);
    await waitFor("w1 gone", async () => ((await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: "w1" })) ? undefined : true), { timeoutMs: 30_000, intervalMs: 250 });
  });

  it("a scale-down held by a terminating pod: Scaling until the pod is gone", async () => {
    await readyServer("s1");
    await client.mergePatch(CORE.pods, { namespace: ns.name, name: "s1-0" }, { metadata: { finalizers: [HOLD] } });
    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: "s1" }, { spec: { replicas: 0 } });
    const scaling = await waitForCondition(client, ns.name, "s1", "Progressing", "True", "Scaling");
    assert.match(condition(scaling.status, "Progressing")?.message ?? "", /scaling from 1 to 0/);
    assert.equal(condition(scaling.status, "Available")?.reason, "ScaledToZero");
    assert.equal(condition(scaling.status, "Ready")?.reason, "RolloutInProgress");
    await client.mergePatch(CORE.pods, { namespace: ns.name, name: "s1-0" }, { metadata: { finalizers: null } });
    await waitForCondition(client, ns.name, "s1", "Progressing", "False", "RolloutComplete");
    assert.equal((await waitForPhase(client, ns.name, "s1", "Stopped")).status?.phase, "Stopped");
  });

  it("growing the metadata volume on an expandable class: the PVC request grows, ExpandingVolumes while it is pending", async () => {
    // kwok binds only claims of its own class, which does not allow expansion: the claims of this class bind to
    // volumes made here. Nothing ever resizes them.
    const sc = `${ns.name}-expandable`;
    await applyJson(storageClass(sc, "dittofs-e2e.test/static", true));
    for (const claim of ["metadata-e1-0", "controlplane-e1-0"]) {
      const pv = `${ns.name}-${claim}`;
      clusterObjects.push(`persistentvolume/${pv}`);
      await applyJson(preboundVolume(pv, sc, ns.name, claim));
    }
    await readyServer("e1", { metadataSize: "1Gi", controlPlaneSize: "1Gi", storageClassName: sc });
    await waitFor("metadata-e1-0 Bound", async () => {
      const pvc = await client.get(PVCS, { namespace: ns.name, name: "metadata-e1-0" });
      return (pvc.status as { phase?: string } | undefined)?.phase === "Bound" ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });

    await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: "e1" }, { spec: { storage: { metadataSize: "2Gi" } } });
    const expanding = await waitForCondition(client, ns.name, "e1", "Progressing", "True", "ExpandingVolumes");
    assert.match(condition(expanding.status, "Progressing")?.message ?? "", /metadata-e1-0/);
    assert.equal(condition(expanding.status, "Ready")?.reason, "RolloutInProgress");
    assert.equal(condition(expanding.status, "Available")?.status, "True", "the server keeps serving");
    const pvc = await client.get(PVCS, { namespace: ns.name, name: "metadata-e1-0" });
    assert.equal((pvc.spec as { resources: { requests: { storage: string } } }).resources.requests.storage, "2Gi");
    const requested = await waitForEvent(client, ns.name, "e1", "VolumeExpansionRequested");
    assert.match(requested.note, /metadata-e1-0/);
  });

  it("a container reported as crash-looping: Degraded while the pod still counts as ready, then PodFailing and phase Failed", async () => {
    await readyServer("p1");
    const current = await pod(client, ns.name, "p1");
    const statuses = ((current?.status as Json | undefined)?.containerStatuses ?? []) as Json[];
    assert.ok(statuses.length > 0, "kwok reports container statuses");
    const crashing = statuses.map((s) => ({ ...s, ready: false, started: false, restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s restarting failed container" } } }));
    // First only the container state: the pod's Ready condition (which the StatefulSet counts) is still True.
    await client.patchStatus(CORE.pods, { namespace: ns.name, name: "p1-0" }, { status: { containerStatuses: crashing } });
    const degraded = await waitForCondition(client, ns.name, "p1", "Degraded", "True", "PodFailing");
    assert.match(condition(degraded.status, "Degraded")?.message ?? "", /CrashLoopBackOff/);
    assert.equal(condition(degraded.status, "Ready")?.reason, "Degraded");
    assert.equal(condition(degraded.status, "Progressing")?.reason, "PodFailing");
    const warning = await waitForEvent(client, ns.name, "p1", "PodFailing");
    assert.equal(warning.type, "Warning");

    // Then the pod stops being ready, as the kubelet would report it.
    const conditions = (((await pod(client, ns.name, "p1"))?.status as Json).conditions as Json[]).map((c) => (c.type === "Ready" || c.type === "ContainersReady" ? { ...c, status: "False", reason: "ContainersNotReady" } : c));
    await client.patchStatus(CORE.pods, { namespace: ns.name, name: "p1-0" }, { status: { conditions, containerStatuses: crashing } });
    const failing = await waitForCondition(client, ns.name, "p1", "Available", "False", "PodFailing");
    assert.equal(failing.status?.phase, "Failed");
    assert.match(condition(failing.status, "Available")?.message ?? "", /CrashLoopBackOff/);
  });
});
