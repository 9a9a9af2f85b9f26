/**
 * The optional paths of the operator binary under its own ServiceAccount with only the shipped RBAC (see
 * rbac-support.ts): the Percona and ServiceMonitor CRDs installed after the operator started (found through its
 * CRD watch), a PerconaPGCluster applied and its user Secret read, a ServiceMonitor applied and deleted, a PVC
 * grown on an expandable StorageClass, and on deletion one cluster orphaned and one deleted. The audit log must
 * show those calls by the ServiceAccount, none refused.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { DITTOSERVERS, PERCONA_CLUSTERS, PVCS, SERVICE_MONITORS } from "../../../src/dittoserver/kinds.ts";
import { LABEL_INSTANCE } from "../../../src/dittoserver/labels.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { createTestNamespace, kubectl, kubectlOk } from "../../controlplane/testenv.ts";
import { installStandIns, perconaUserSecret, preboundVolume, removeStandIns, storageClass } from "../dittoserver/stand-ins.ts";
import { adminClient, deleteAllServers, dittoServer, getServer, installCrd, waitForCondition, waitForEvent } from "../dittoserver/support.ts";
import type { OperatorAsServiceAccount } from "./rbac-support.ts";
import { assertNothingRefused, assertRequested, auditEventsOf, startOperatorAsServiceAccount, waitWithOperator, withOperatorLog } from "./rbac-support.ts";

const OPTIONAL = [PERCONA_CLUSTERS, SERVICE_MONITORS];
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: OperatorAsServiceAccount;
/** Cluster-scoped objects of this file, deleted in `after`. */
const clusterObjects: string[] = [];

before(async () => {
  await installCrd();
  // Absent when the operator starts: their later installation must reach it through the CRD watch alone.
  await removeStandIns(OPTIONAL);
  ns = await createTestNamespace("deploy-rbac-opt");
  operator = await startOperatorAsServiceAccount(ns.name);
});

after(async () => {
  // The finalizers need the operator: servers left by a failed run go first.
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  // --wait=false: a PersistentVolume stays (pv-protection) until its claim goes with the namespace.
  for (const obj of [...clusterObjects].reverse()) await kubectl(["delete", obj, "--ignore-not-found", "--wait=false"]);
  await ns.delete();
  await removeStandIns(OPTIONAL);
  await client.close();
});

async function apply(obj: KubeObject): Promise<void> {
  if (!obj.metadata.namespace) clusterObjects.push(`${obj.kind.toLowerCase()}/${obj.metadata.name ?? ""}`);
  await kubectlOk(["apply", "-f", "-"], { input: JSON.stringify(obj) });
}

function perconaCluster(server: string): Promise<KubeObject | undefined> {
  return client.getOrUndefined(PERCONA_CLUSTERS, { namespace: ns.name, name: `${server}-postgres` });
}

function gone(read: () => Promise<KubeObject | undefined>): () => Promise<true | undefined> {
  return async () => ((await read()) ? undefined : true);
}

async function makePerconaReady(server: string): Promise<void> {
  await client.create(CORE.secrets, perconaUserSecret(ns.name, server));
  await client.patchStatus(PERCONA_CLUSTERS, { namespace: ns.name, name: `${server}-postgres` }, { status: { state: "ready" } });
  await withOperatorLog(operator, waitForCondition(client, ns.name, server, "Ready", "True"));
}

it("Percona, ServiceMonitor and volume expansion with only the shipped RBAC, CRDs installed after the start: no 403, no unexpected 4xx", async () => {
  // db1's claims bind to volumes made here, of a class that allows expansion.
  const sc = `${ns.name}-expandable`;
  await apply(storageClass(sc, "dittofs-e2e.test/static", true));
  for (const claim of ["metadata-db1-0", "controlplane-db1-0"]) await apply(preboundVolume(`${ns.name}-${claim}`, sc, ns.name, claim));

  // db1: Percona kept on deletion, metrics with a ServiceMonitor; created while neither CRD exists.
  await client.create(DITTOSERVERS, dittoServer(ns.name, "db1", {
    storage: { metadataSize: "1Gi", controlPlaneSize: "1Gi", storageClassName: sc },
    percona: { enabled: true },
    metrics: { enabled: true, serviceMonitor: { enabled: true } },
  }));
  await withOperatorLog(operator, waitForCondition(client, ns.name, "db1", "DatabaseReady", "False", "PerconaCRDMissing"));
  await installStandIns(OPTIONAL);
  await waitWithOperator(operator, "PerconaPGCluster db1-postgres applied", () => perconaCluster("db1"));
  const monitorRef = { namespace: ns.name, name: "db1-metrics" };
  await waitWithOperator(operator, "ServiceMonitor db1-metrics applied", () => client.getOrUndefined(SERVICE_MONITORS, monitorRef));
  await makePerconaReady("db1");

  await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: "db1" }, { spec: { metrics: { serviceMonitor: { enabled: false } } } });
  await waitWithOperator(operator, "ServiceMonitor db1-metrics deleted", gone(() => client.getOrUndefined(SERVICE_MONITORS, monitorRef)));

  const metadataClaim = { namespace: ns.name, name: "metadata-db1-0" };
  await waitWithOperator(operator, "metadata-db1-0 Bound", async () => ((await client.get(PVCS, metadataClaim)).status as { phase?: string } | undefined)?.phase === "Bound" ? true : undefined);
  await client.mergePatch(DITTOSERVERS, { namespace: ns.name, name: "db1" }, { spec: { storage: { metadataSize: "2Gi" } } });
  await waitWithOperator(operator, "metadata-db1-0 request grown to 2Gi", async () => {
    const pvc = await client.get(PVCS, metadataClaim);
    return (pvc.spec as { resources: { requests: { storage: string } } }).resources.requests.storage === "2Gi" ? true : undefined;
  });

  // db2: its cluster goes with it.
  await client.create(DITTOSERVERS, dittoServer(ns.name, "db2", { storage: { metadataSize: "1Gi" }, percona: { enabled: true, deleteWithServer: true } }));
  const owned = await waitWithOperator(operator, "PerconaPGCluster db2-postgres applied", () => perconaCluster("db2"));
  assert.equal(owned.metadata.ownerReferences?.[0]?.kind, "DittoServer");
  await makePerconaReady("db2");

  // db1's cluster is not owned (deleteWithServer false). An owner reference of db1 put there by someone else (an
  // earlier manifest, a restore) must come off before the finalizer goes, or garbage collection would take the
  // database: this makes the orphaning a write of the operator's, and its outcome visible.
  const db1 = await getServer(client, ns.name, "db1");
  await client.mergePatch(PERCONA_CLUSTERS, { namespace: ns.name, name: "db1-postgres" }, {
    metadata: { ownerReferences: [{ apiVersion: db1.apiVersion, kind: db1.kind, name: "db1", uid: db1.metadata.uid ?? "", blockOwnerDeletion: true }] },
  });
  for (const server of ["db1", "db2"]) await client.delete(DITTOSERVERS, { namespace: ns.name, name: server });
  await withOperatorLog(operator, waitForEvent(client, ns.name, "db1", "PerconaOrphaned"));
  await withOperatorLog(operator, waitForEvent(client, ns.name, "db2", "PerconaDeleted"));
  for (const server of ["db1", "db2"]) {
    await waitWithOperator(operator, `DittoServer ${server} gone`, gone(() => client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: server })));
  }
  await waitWithOperator(operator, "db2-postgres deleted", gone(() => perconaCluster("db2")));
  const kept = await perconaCluster("db1");
  assert.ok(kept, "db1-postgres kept");
  assert.equal(kept.metadata.deletionTimestamp, undefined);
  assert.deepEqual(kept.metadata.ownerReferences ?? [], [], "no owner left for garbage collection");
  assert.equal(kept.metadata.labels?.[LABEL_INSTANCE], "db1", "still found through its labels");

  const events = auditEventsOf(operator.username);
  // Each optional call was sent under the ServiceAccount, so the checks after them cover it.
  for (const verb of ["list", "watch"]) assertRequested(events, verb, "customresourcedefinitions");
  for (const verb of ["list", "watch", "patch", "get", "delete"]) assertRequested(events, verb, "perconapgclusters");
  for (const verb of ["list", "watch", "patch", "delete"]) assertRequested(events, verb, "servicemonitors");
  for (const verb of ["get", "patch"]) assertRequested(events, verb, "persistentvolumeclaims");
  assertNothingRefused(events, operator.log());
});
