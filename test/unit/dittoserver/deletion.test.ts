import assert from "node:assert/strict";
import { test } from "node:test";
import { deletionProgress, deletionRequeueMs, deletionWrites } from "../../../src/dittoserver/deletion.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { server } from "./fixtures.ts";

const options = { deletionPodWarningMs: 30_000, deletionPodTimeoutMs: 60_000 };
const sts = (replicas: number): KubeObject => ({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "fs1", namespace: "team-a" }, spec: { replicas } });
const cluster = (owned: boolean): KubeObject => ({
  apiVersion: "pgv2.percona.com/v2",
  kind: "PerconaPGCluster",
  metadata: { name: "fs1-postgres", namespace: "team-a", uid: "pg-uid", ...(owned ? { ownerReferences: [{ apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", name: "fs1", uid: server().metadata.uid ?? "", controller: true }] } : {}) },
});

test("the wait for the pods: terminating, slowly after the warning, given up after the timeout; next look exactly at the next mark", () => {
  assert.deepEqual(deletionProgress([], 0, options), { step: "podsTerminated" });
  assert.equal(deletionProgress(["fs1-0"], 10_000, options).step, "terminating");
  assert.deepEqual(deletionProgress(["fs1-0"], 30_000, options), { step: "terminatingSlowly", pods: ["fs1-0"], afterSeconds: 30, timeoutSeconds: 60 });
  assert.deepEqual(deletionProgress(["fs1-0"], 60_000, options), { step: "timedOut", pods: ["fs1-0"], afterSeconds: 60 });
  assert.equal(deletionRequeueMs(29_000, options), 1_000);
  assert.equal(deletionRequeueMs(10_000, options), 20_000, "no polling before the warning: pod events bring the passes");
  assert.equal(deletionRequeueMs(31_000, options), 29_000, "then exactly at the timeout");
  assert.equal(deletionRequeueMs(59_990, options), 100);
});

test("deletion writes: scale to 0 once; the database only when the pods are settled, deleted (uid precondition) or orphaned", () => {
  const waiting = { step: "terminating" as const, pods: ["fs1-0"] };
  assert.deepEqual(deletionWrites(server(), sts(1), waiting, cluster(true)).map((w) => w.step), ["scale StatefulSet fs1 to 0"]);
  assert.deepEqual(deletionWrites(server(), sts(0), waiting, cluster(true)), [], "already scaled, database untouched while pods run");
  const done = { step: "podsTerminated" as const };
  const del = deletionWrites(server({ percona: { enabled: true, deleteWithServer: true } }), sts(0), done, cluster(true));
  assert.deepEqual(del.map((w) => [w.op, w.op === "delete" ? w.preconditions?.uid : undefined, w.fact]), [["delete", "pg-uid", { perconaDeleted: "fs1-postgres" }]]);
  const keep = server({ percona: { enabled: true, deleteWithServer: false } });
  assert.deepEqual(deletionWrites(keep, sts(0), done, cluster(true)).map((w) => w.step), ["orphan PerconaPGCluster fs1-postgres"]);
  assert.deepEqual(deletionWrites(keep, sts(0), done, cluster(false)), [], "never ours: nothing to remove");
  assert.deepEqual(deletionWrites(keep, undefined, done, undefined), []);
});
