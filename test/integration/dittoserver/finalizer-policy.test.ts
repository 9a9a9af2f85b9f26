/**
 * The shipped MutatingAdmissionPolicy (deploy/admission) on the real API server: a new DittoServer carries the
 * operator's finalizer from its first version, the operator goes straight to the children without patching it in,
 * and deletion still goes through the finalizer. The policy is installed under a test name and bound to this
 * file's namespace only: the other test files share the control plane and exercise the operator adding it itself.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { FIELD_MANAGER, FINALIZER } from "../../../src/api/constants.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { createTestNamespace, kubectl, kubectlOk, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, deleteAllServers, dittoServer, eventsFor, installCrd, startOperator, waitForCondition } from "./support.ts";

const SHIPPED = new URL("../../../deploy/admission/finalizer-policy.yaml", import.meta.url);
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let policyName = "";

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-finalizer-policy");
  const [policy, binding] = parseAllDocuments(readFileSync(SHIPPED, "utf8")).map((d) => d.toJSON() as KubeObject & { spec: Record<string, unknown> });
  assert.ok(policy?.kind === "MutatingAdmissionPolicy" && binding?.kind === "MutatingAdmissionPolicyBinding", "the file holds the policy and its binding");
  policyName = `${ns.name}-finalizer`;
  policy.metadata = { name: policyName };
  binding.metadata = { name: policyName };
  binding.spec = { ...binding.spec, policyName, matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns.name } } } };
  await kubectlOk(["apply", "--server-side", "--field-manager=finalizer-policy-test", "-f", "-"], { input: [policy, binding].map((o) => JSON.stringify(o)).join("\n") });
  // Policies take effect asynchronously: probe with server-side dry-run creates until one comes back mutated.
  await waitFor("the policy mutates DittoServer creates", async () => {
    const r = await kubectl(["create", "--dry-run=server", "-o", "json", "-f", "-"], { input: JSON.stringify(dittoServer(ns.name, "probe", { storage: { metadataSize: "1Gi" } })) });
    return r.code === 0 && ((JSON.parse(r.stdout) as KubeObject).metadata.finalizers ?? []).includes(FINALIZER) ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  operator = await startOperator(ns.name);
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await kubectl(["delete", "--ignore-not-found", `mutatingadmissionpolicybinding/${policyName}`, `mutatingadmissionpolicy/${policyName}`]);
  await ns.delete();
  await client.close();
});

describe("finalizer added at admission", { concurrency: false }, () => {
  it("the first version carries the finalizer; the operator never patches it in and reaches Ready", async () => {
    const created = await client.create(DITTOSERVERS, dittoServer(ns.name, "fp1", { storage: { metadataSize: "1Gi" } }));
    assert.deepEqual(created.metadata.finalizers, [FINALIZER]);
    const ready = await waitForCondition(client, ns.name, "fp1", "Ready", "True", "ServerReady");
    // A finalizer patch by the operator would leave an Update entry of its field manager on the object.
    const managed = (ready.metadata.managedFields ?? []) as { manager?: string; operation?: string }[];
    const operatorUpdates = managed.filter((m) => m.manager === FIELD_MANAGER && m.operation === "Update");
    assert.deepEqual(operatorUpdates, [], "no metadata update by the operator");
    const reasons = (await eventsFor(client, ns.name, "fp1")).map((e) => e.reason);
    assert.ok(reasons.includes("ChildrenCreated"), reasons.join(","));
    assert.ok(!reasons.includes("FinalizerAdded"), `no FinalizerAdded event: ${reasons.join(",")}`);
  });

  it("another finalizer already there is kept, ours appended once", async () => {
    const withOther = dittoServer(ns.name, "fp2", { storage: { metadataSize: "1Gi" } });
    withOther.metadata.finalizers = ["example.com/keep"];
    const created = await client.create(DITTOSERVERS, withOther);
    assert.deepEqual(created.metadata.finalizers, ["example.com/keep", FINALIZER]);
    const ours = dittoServer(ns.name, "fp3", { storage: { metadataSize: "1Gi" } });
    ours.metadata.finalizers = [FINALIZER];
    assert.deepEqual((await client.create(DITTOSERVERS, ours)).metadata.finalizers, [FINALIZER]);
    await client.jsonPatch(DITTOSERVERS, { namespace: ns.name, name: "fp2" }, [{ op: "remove", path: "/metadata/finalizers/0" }]);
  });

  it("deletion still goes through the finalizer: cleanup runs, then the object is gone", async () => {
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: "fp1" });
    await waitFor("fp1 gone", async () => ((await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: "fp1" })) ? undefined : true), { timeoutMs: 60_000, intervalMs: 250 });
    const reasons = (await eventsFor(client, ns.name, "fp1")).map((e) => e.reason);
    assert.ok(reasons.includes("Deleting"), `a deletion event: ${reasons.join(",")}`);
  });
});
