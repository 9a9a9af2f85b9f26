/**
 * Percona-backed DittoServers against a stand-in for the Percona operator: a minimal PerconaPGCluster CRD
 * (status subresource) installed by the test, the `<name>-postgres-pguser-dittofs` Secret created and
 * `status.state` patched by the test. Covers the CRD missing then installed without a restart, the database
 * conditions, the pod pointed at PostgreSQL, and orphan vs delete on deletion.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DITTOSERVERS, PERCONA_CLUSTERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { installStandIns, perconaUserSecret, removeStandIns } from "./stand-ins.ts";
import { adminClient, condition, deleteAllServers, dittoServer, installCrd, startOperator, waitForCondition, waitForEvent } from "./support.ts";

type Json = Record<string, unknown>;
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;

async function setState(server: string, state: string): Promise<void> {
  await client.patchStatus(PERCONA_CLUSTERS, { namespace: ns.name, name: `${server}-postgres` }, { status: { state } });
}

async function cluster(server: string): Promise<KubeObject | undefined> {
  return client.getOrUndefined(PERCONA_CLUSTERS, { namespace: ns.name, name: `${server}-postgres` });
}

before(async () => {
  await installCrd();
  await removeStandIns([PERCONA_CLUSTERS]);
  ns = await createTestNamespace("ds-percona");
  operator = await startOperator(ns.name);
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await removeStandIns([PERCONA_CLUSTERS]);
  await client.close();
});

describe("DittoServer with Percona", { concurrency: false }, () => {
  it("reports a missing Percona CRD and recovers once it is installed, without a restart", async () => {
    await client.create(DITTOSERVERS, dittoServer(ns.name, "pg1", { storage: { metadataSize: "1Gi" }, percona: { enabled: true } }));
    const missing = await waitForCondition(client, ns.name, "pg1", "DatabaseReady", "False", "PerconaCRDMissing");
    assert.equal(missing.status?.phase, "Failed");
    assert.equal(condition(missing.status, "Ready")?.reason, "DatabaseNotReady");
    assert.equal((await waitForEvent(client, ns.name, "pg1", "PerconaCRDMissing")).type, "Warning");
    assert.equal(await client.getOrUndefined(CORE.statefulSets, { namespace: ns.name, name: "pg1" }), undefined, "no StatefulSet without a database");

    await installStandIns([PERCONA_CLUSTERS]);
    const created = await waitFor("PerconaPGCluster pg1-postgres created", () => cluster("pg1"), { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal((created.spec as Json).crVersion, "2.8.0");
    assert.equal(created.metadata.ownerReferences, undefined, "deleteWithServer false: never owned, GC can not take it");
    const waiting = await waitForCondition(client, ns.name, "pg1", "DatabaseReady", "False", "PerconaNotReady");
    assert.equal(condition(waiting.status, "Progressing")?.reason, "WaitingForDatabase");
    assert.equal(waiting.status?.phase, "Pending");
  });

  it("waits for the cluster and its user Secret, then points the pod at PostgreSQL", async () => {
    await setState("pg1", "initializing");
    const init = await waitForCondition(client, ns.name, "pg1", "DatabaseReady", "False", "PerconaNotReady");
    assert.match(condition(init.status, "DatabaseReady")?.message ?? "", /initializing/);

    await client.create(CORE.secrets, perconaUserSecret(ns.name, "pg1", ["host", "port", "dbname", "user"]));
    await setState("pg1", "ready");
    const noKey = await waitForCondition(client, ns.name, "pg1", "DatabaseReady", "False", "DatabaseSecretNotFound");
    assert.match(condition(noKey.status, "DatabaseReady")?.message ?? "", /password/);

    await client.mergePatch(CORE.secrets, { namespace: ns.name, name: "pg1-postgres-pguser-dittofs" }, { stringData: { password: "pw" } });
    const ready = await waitForCondition(client, ns.name, "pg1", "Ready", "True");
    assert.equal(condition(ready.status, "DatabaseReady")?.reason, "PerconaReady");
    assert.equal(ready.status?.perconaClusterName, "pg1-postgres");
    await waitForEvent(client, ns.name, "pg1", "PerconaReady");

    const sts = await client.get(CORE.statefulSets, { namespace: ns.name, name: "pg1" });
    const podSpec = ((sts.spec as Json).template as Json).spec as Json;
    const env = ((podSpec.containers as Json[])[0]!.env as Json[]);
    assert.ok(env.some((e) => e.name === "DITTOFS_DATABASE_TYPE" && e.value === "postgres"));
    const host = env.find((e) => e.name === "DITTOFS_DATABASE_POSTGRES_HOST");
    assert.deepEqual(((host?.valueFrom as Json).secretKeyRef as Json).name, "pg1-postgres-pguser-dittofs");
    assert.ok(((podSpec.initContainers ?? []) as Json[]).some((c) => c.name === "wait-for-postgres"), "waits for the database first");
    const cm = await client.get(CORE.configMaps, { namespace: ns.name, name: "pg1-config" });
    assert.match(String((cm.data as Record<string, string>)["config.yaml"]), /postgres/);
    assert.doesNotMatch(String((cm.data as Record<string, string>)["config.yaml"]), /sqlite/);

    await setState("pg1", "paused");
    const paused = await waitForCondition(client, ns.name, "pg1", "DatabaseReady", "False", "PerconaNotReady");
    assert.equal(condition(paused.status, "Ready")?.reason, "DatabaseNotReady");
    assert.equal((await waitForEvent(client, ns.name, "pg1", "PerconaNotReady")).type, "Warning");
    await setState("pg1", "ready");
    await waitForCondition(client, ns.name, "pg1", "Ready", "True");
  });

  it("orphans the cluster by default", async () => {
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: "pg1" });
    await waitForEvent(client, ns.name, "pg1", "PerconaOrphaned");
    await waitFor("pg1 gone", async () => ((await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: "pg1" })) ? undefined : true), { timeoutMs: 30_000 });
    const kept = await cluster("pg1");
    assert.ok(kept, "the cluster and its data stay");
    assert.equal(kept.metadata.deletionTimestamp, undefined);
  });

  it("deletes the cluster with the server when deleteWithServer is set", async () => {
    await client.create(DITTOSERVERS, dittoServer(ns.name, "pg2", { storage: { metadataSize: "1Gi" }, percona: { enabled: true, deleteWithServer: true } }));
    const owned = await waitFor("PerconaPGCluster pg2-postgres", () => cluster("pg2"), { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(owned.metadata.ownerReferences?.[0]?.kind, "DittoServer");
    await client.create(CORE.secrets, perconaUserSecret(ns.name, "pg2"));
    await setState("pg2", "ready");
    await waitForCondition(client, ns.name, "pg2", "Ready", "True");
    await client.delete(DITTOSERVERS, { namespace: ns.name, name: "pg2" });
    const event = await waitForEvent(client, ns.name, "pg2", "PerconaDeleted");
    assert.equal(event.type, "Warning");
    await waitFor("pg2-postgres deleted", async () => ((await cluster("pg2")) ? undefined : true), { timeoutMs: 30_000 });
  });
});
