/**
 * A child the API server refuses for good (here: a ValidatingAdmissionPolicy that denies StatefulSets carrying a
 * label, answered 422 Invalid like any validation failure): exactly one refused apply and one status write
 * (ConfigReady=False InvalidSpec, phase Failed) however many passes follow; a new generation tries once more; a
 * spec the API server accepts recovers. Requests and passes are counted from the operator's own metrics, status
 * writes from a watch opened before the server exists.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeClient } from "../../../src/runtime/client.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, kubectl, kubectlOk, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, eventsFor, getServer, installCrd, startOperator, waitForCondition } from "./support.ts";

const REFUSE = "dittofs-e2e.test/refuse";
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let policy: string;

/** Counts the writes that changed `name`'s status, from a watch (every status write reaches it). */
async function statusWrites(c: KubeClient, namespace: string, name: string): Promise<{ count(): number; stop(): void }> {
  const abort = new AbortController();
  const body = await c.watch(DITTOSERVERS, { namespace, fieldSelector: `metadata.name=${name}` }, abort.signal);
  let count = 0;
  let last = "";
  void (async () => {
    let buffer = "";
    for await (const chunk of body) {
      buffer += Buffer.from(chunk).toString("utf8");
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const event = JSON.parse(buffer.slice(0, nl)) as { type: string; object?: { status?: unknown } };
        buffer = buffer.slice(nl + 1);
        const status = JSON.stringify(event.object?.status ?? null);
        if (event.type === "MODIFIED" && status !== last) count++;
        last = status;
      }
    }
  })().catch(() => undefined);
  return { count: () => count, stop: () => { abort.abort(); } };
}

/** One more pass of `name`, brought by an edit of a child it owns (a foreign label: nothing to repair). */
async function anotherPass(name: string, n: number): Promise<void> {
  const passes = await operator.reconciles();
  await client.mergePatch(CORE.configMaps, { namespace: ns.name, name: `${name}-config` }, { metadata: { labels: { "dittofs-e2e.test/touch": String(n) } } });
  await waitFor(`a pass after touch ${n}`, async () => ((await operator.reconciles()) > passes ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-permanent");
  policy = `${ns.name}-refuse-sts`;
  const rule = { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["statefulsets"] };
  const labels = "object.spec.template.metadata.labels";
  await kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: policy },
      spec: { failurePolicy: "Fail", matchConstraints: { resourceRules: [rule] }, validations: [{ expression: `!has(${labels}) || !('${REFUSE}' in ${labels})`, message: "labelled StatefulSets are refused by the test" }] },
    }),
  });
  await kubectlOk(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: policy },
      spec: { policyName: policy, validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns.name } } } },
    }),
  });
  // The policy takes effect asynchronously: probe it with a server-side dry run.
  const probe = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "probe" }, spec: { selector: { matchLabels: { a: "b" } }, serviceName: "probe", template: { metadata: { labels: { a: "b", [REFUSE]: "yes" } }, spec: { containers: [{ name: "c", image: "x" }] } } } };
  await waitFor("the policy refuses labelled StatefulSets", async () => {
    const r = await kubectl(["create", "--dry-run=server", "-f", "-"], { namespace: ns.name, input: JSON.stringify(probe) });
    return r.code !== 0 && /refused by the test/.test(r.stderr) ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 300 });
  operator = await startOperator(ns.name);
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await kubectl(["delete", "--ignore-not-found", `validatingadmissionpolicybinding/${policy}`, `validatingadmissionpolicy/${policy}`]);
  await ns.delete();
  await client.close();
});

describe("a child refused for good", () => {
  it("one refused apply and one status write (InvalidSpec, Failed); a new generation retries; a fixed spec recovers", async () => {
    const writes = await statusWrites(client, ns.name, "r1");
    try {
      await client.create(DITTOSERVERS, dittoServer(ns.name, "r1", { storage: { metadataSize: "1Gi" }, podLabels: { [REFUSE]: "yes" } }));
      const failed = await waitForCondition(client, ns.name, "r1", "ConfigReady", "False", "InvalidSpec");
      assert.equal(failed.status?.phase, "Failed");
      assert.match(condition(failed.status, "ConfigReady")?.message ?? "", /^apply StatefulSet r1: refused by the API server \(Invalid\): .*refused by the test/);
      assert.equal(condition(failed.status, "Degraded")?.status, "False", "not a transient error");

      for (let n = 1; n <= 3; n++) await anotherPass("r1", n);
      assert.equal(await operator.answered(422), 1, "the refused apply was not sent again by the passes after it");
      assert.equal(writes.count(), 1, "one status write for the permanent error");
      assert.equal((await eventsFor(client, ns.name, "r1")).filter((e) => e.reason === "InvalidSpec").length, 1);

      // A new generation (still refused) is tried once more.
      await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: "r1" }, { spec: { podAnnotations: { "dittofs-e2e.test/edit": "1" } } });
      await waitFor("the new generation tried", async () => ((await operator.answered(422)) === 2 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
      await anotherPass("r1", 4);
      assert.equal(await operator.answered(422), 2);

      // A spec the API server accepts: the StatefulSet is created and the server becomes Ready.
      await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: "r1" }, { spec: { podLabels: null } });
      await waitForCondition(client, ns.name, "r1", "Ready", "True", "ServerReady");
      assert.equal(condition((await getServer(client, ns.name, "r1")).status, "ConfigReady")?.reason, "ConfigApplied");
      assert.equal(await operator.answered(422), 2);
    } finally {
      writes.stop();
    }
  });
});
