/**
 * Back-off that survives a restart (issue 15, item 2): a freshly started operator meets two DittoServers whose
 * ConfigMap a ResourceQuota refuses (a transient 403). One has been failing for 20 minutes by its status
 * (`Degraded=True ReconcileError`), the other is new. The new one is retried on the rate limiter's schedule (5 ms,
 * 10 ms, …); the old one waits the floor its status implies (10 minutes) after its first attempt. Each server has
 * its own namespace and operator, so each one's refused requests are counted apart.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FINALIZER } from "../../../src/api/constants.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import { createTestNamespace, kubectlOk, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, getServer, installCrd, startOperator } from "./support.ts";

const client = adminClient();
const spaces: { name: string; delete(): Promise<void> }[] = [];
const operators: RunningOperator[] = [];

/** A namespace whose ConfigMaps a quota refuses, once the quota controller has computed its usage. */
async function refusingNamespace(prefix: string): Promise<string> {
  const ns = await createTestNamespace(prefix);
  spaces.push(ns);
  await kubectlOk(["apply", "-f", "-"], { namespace: ns.name, input: JSON.stringify({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "no-configmaps" }, spec: { hard: { "count/configmaps": "0" } } }) });
  await waitFor(`quota in ${ns.name} computed`, async () => ((await kubectlOk(["get", "resourcequota", "no-configmaps", "-o", "jsonpath={.status.used}"], { namespace: ns.name })) ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
  return ns.name;
}

/** A DittoServer that already carries the finalizer, so the operator's first pass applies its children. */
async function server(namespace: string, name: string): Promise<void> {
  const obj = dittoServer(namespace, name, { storage: { metadataSize: "1Gi" } });
  await client.create(DITTOSERVERS, { ...obj, metadata: { ...obj.metadata, finalizers: [FINALIZER] } });
}

before(async () => {
  await installCrd();
});

after(async () => {
  for (const ns of spaces) {
    await kubectlOk(["delete", "resourcequota", "no-configmaps", "--ignore-not-found"], { namespace: ns.name });
    await deleteAllServers(client, ns.name).catch(() => undefined);
  }
  for (const op of operators) await op.stop();
  for (const ns of spaces) await ns.delete();
  await client.close();
});

describe("back-off after a restart", () => {
  it("a server failing for 20 minutes by its status is not retried at once; a new failure is, with the limiter's back-off", async () => {
    const oldNs = await refusingNamespace("ds-backoff-old");
    const newNs = await refusingNamespace("ds-backoff-new");
    await server(oldNs, "old");
    const since = new Date(Date.now() - 20 * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
    await client.patchStatus(DITTOSERVERS, { namespace: oldNs, name: "old" }, {
      status: { conditions: [{ type: "Degraded", status: "True", reason: "ReconcileError", message: "apply ConfigMap old-config: exceeded quota", lastTransitionTime: since }] },
    });
    await server(newNs, "new");

    const [oldOperator, newOperator] = [await startOperator(oldNs), await startOperator(newNs)];
    operators.push(oldOperator, newOperator);
    await waitFor("the old server's first attempt", async () => ((await oldOperator.answered(403)) >= 1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 50 });
    // Ten attempts of the new server span at least 5 + 10 + … + 1280 ms of back-off after its first.
    await waitFor("the new server retried on the limiter's schedule", async () => ((await newOperator.answered(403)) >= 10 ? true : undefined), { timeoutMs: 30_000, intervalMs: 50 });
    // The old server's own first writes (its generated Secrets) bring a pass or two by their watch events, not by
    // back-off; without the floor it would have been retried as often as the new one.
    const oldAttempts = await oldOperator.answered(403);
    console.log(`refused attempts: old ${oldAttempts}, new ${await newOperator.answered(403)}`);
    assert.ok(oldAttempts <= 3, `the old failure waits its floor (${oldAttempts} attempts)`);

    const old = await getServer(client, oldNs, "old");
    assert.equal(condition(old.status, "Degraded")?.reason, "ReconcileError");
    assert.equal(condition(old.status, "Degraded")?.lastTransitionTime, since, "the failure's age, kept in the status, sets the floor");
  });
});
