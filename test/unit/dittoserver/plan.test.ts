import { test } from "node:test";
import assert from "node:assert/strict";
import type { Write } from "../../../src/dittoserver/executor.ts";
import { planPass } from "../../../src/dittoserver/plan.ts";
import type { Observed, PassPlan } from "../../../src/dittoserver/plan.ts";
import { computeStatus } from "../../../src/dittoserver/status.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { at, secret, server } from "./fixtures.ts";

const entropy = { jwt: new Uint8Array(32).fill(3), admin: new Uint8Array(18).fill(4) };
const entropy2 = { jwt: new Uint8Array(32).fill(5), admin: new Uint8Array(18).fill(6) };

/** `configMap`/`statefulSet`: children the cache holds. */
function observed(extra: Partial<Observed> & { configMap?: KubeObject; statefulSet?: KubeObject } = {}, secrets: KubeObject[] = []): Observed {
  const { configMap, statefulSet, ...rest } = extra;
  const children = [configMap, statefulSet].filter((o) => o !== undefined);
  return { secrets: new Map(secrets.map((s) => [s.metadata.name ?? "", s])), children, ...rest };
}

/** The generated-Secret writes: the created Secret's name, or `addKeys`. */
function secretWrites(plan: PassPlan): Write[] {
  return plan.writes.filter((w) => w.resource.kind === "Secret");
}
const secretNames = (plan: PassPlan): (string | undefined)[] => secretWrites(plan).map((w) => (w.op === "create" ? w.object.metadata.name : "addKeys"));
const created = (plan: PassPlan): KubeObject[] => secretWrites(plan).flatMap((w) => (w.op === "create" ? [w.object] : []));
const desired = (plan: PassPlan, kind: string): KubeObject[] => plan.desired.filter((o) => o.kind === kind);
const one = (plan: PassPlan, kind: string): KubeObject | undefined => desired(plan, kind)[0];

test("first pass: generated Secrets created, hash already includes their values, StatefulSet applied", () => {
  const plan = planPass(server(), observed(), entropy);
  assert.deepEqual(secretNames(plan), ["fs1-jwt-secret", "fs1-admin-bootstrap-credentials"]);
  assert.deepEqual(plan.missingSecrets, []);
  const sts = one(plan, "StatefulSet");
  assert.ok(sts);
  assert.equal(at(sts, "spec", "template", "metadata", "annotations", "dittofs.dittofs.com/config-hash"), plan.configHash);
  assert.equal(plan.configChanged, true);
  // Next pass sees the Secrets it created: same hash, no second rollout.
  const next = planPass(server(), observed({ configMap: one(plan, "ConfigMap"), statefulSet: sts }, created(plan)), entropy2);
  assert.deepEqual(secretWrites(next), [], "existing generated Secrets are never regenerated");
  assert.equal(next.configHash, plan.configHash);
  assert.equal(next.configChanged, false);
});

test("a generated Secret missing a key is filled, and the hash sees the filled value", () => {
  const partial = secret("fs1-admin-bootstrap-credentials", { username: "admin" });
  const jwt = secret("fs1-jwt-secret", { "jwt-secret": "j".repeat(43) });
  const plan = planPass(server(), observed({}, [partial, jwt]), entropy);
  const writes = secretWrites(plan);
  assert.equal(writes.length, 1);
  const fill = writes[0]!;
  assert.equal(fill.op, "mergePatch");
  const filled = { ...partial, data: { ...(partial.data as object), ...(fill.op === "mergePatch" ? (fill.patch as { data: object }).data : {}) } };
  assert.equal(planPass(server(), observed({}, [filled, jwt]), entropy2).configHash, plan.configHash);
});

test("missing user Secret blocks the StatefulSet but still renders everything else", () => {
  const plan = planPass(server({ identity: { jwt: { secretRef: { name: "jwt", key: "k" } } } }), observed(), entropy);
  assert.equal(one(plan, "StatefulSet"), undefined);
  assert.deepEqual(plan.missingSecrets.map((m) => m.name), ["jwt"]);
  assert.equal(desired(plan, "Service").length, 2, "headless and API; adapter Services wait for the adapter list");
  assert.ok(one(plan, "ConfigMap"));
});

test("storage: expansion only when the class allows it, otherwise refused; templates never change", () => {
  const first = one(planPass(server(), observed(), entropy), "StatefulSet")!;
  const grown = server({ storage: { metadataSize: "20Gi" } });
  const allowed = planPass(grown, observed({ statefulSet: first, expandableClasses: new Set([""]) }), entropy);
  assert.deepEqual(allowed.pvcExpansions, [{ pvc: "metadata-fs1-0", expansion: { claim: "metadata", from: "10Gi", to: "20Gi" } }]);
  assert.ok(one(allowed, "StatefulSet"));
  assert.equal(at(one(allowed, "StatefulSet"), "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"), "10Gi");
  const refused = planPass(grown, observed({ statefulSet: first }), entropy);
  assert.deepEqual(refused.pvcExpansions, []);
  assert.equal(one(refused, "StatefulSet"), undefined);
  assert.match(refused.forbiddenStorageChanges[0]!.message, /does not allow volume expansion/);
  const status = computeStatus({ server: grown, now: 0, statefulSet: first, forbiddenStorageChanges: refused.forbiddenStorageChanges });
  assert.equal(status.phase, "Failed");
});

test("Percona: the first StatefulSet waits for a ready cluster and its user Secret; CRD missing skips the cluster", () => {
  const p = server({ percona: { enabled: true } });
  const cluster = (state: string): KubeObject => ({ apiVersion: "pgv2.percona.com/v2", kind: "PerconaPGCluster", metadata: { name: "fs1-postgres" }, status: { state } });
  const pguser = secret("fs1-postgres-pguser-dittofs", { host: "h", port: "5432", dbname: "dittofs", user: "dittofs", password: "pw" });
  const waiting = planPass(p, observed({ percona: { kind: "present", cluster: cluster("initializing") } }, [pguser]), entropy);
  assert.equal(one(waiting, "StatefulSet"), undefined);
  assert.ok(one(waiting, "PerconaPGCluster"), "the cluster is still applied (drift reconciled)");
  const noSecret = planPass(p, observed({ percona: { kind: "present", cluster: cluster("ready") } }), entropy);
  assert.equal(one(noSecret, "StatefulSet"), undefined);
  const ready = planPass(p, observed({ percona: { kind: "present", cluster: cluster("ready") } }, [pguser]), entropy);
  assert.ok(one(ready, "StatefulSet"));
  const existing = planPass(p, observed({ statefulSet: one(ready, "StatefulSet"), percona: { kind: "present", cluster: cluster("initializing") } }, [pguser]), entropy);
  assert.ok(one(existing, "StatefulSet"), "an existing StatefulSet keeps being reconciled while the database recovers");
  const noCrd = planPass(p, observed({ percona: { kind: "crdMissing" }, unservedCrds: new Set(["perconapgclusters.pgv2.percona.com"]) }), entropy);
  assert.equal(one(noCrd, "PerconaPGCluster"), undefined);
  assert.equal(one(noCrd, "StatefulSet"), undefined);
});

test("ServiceMonitor skipped without its CRD; obsolete children listed; bad names reported", () => {
  const m = server({ metrics: { enabled: true, serviceMonitor: { enabled: true } } });
  assert.ok(one(planPass(m, observed(), entropy), "ServiceMonitor"));
  assert.equal(one(planPass(m, observed({ unservedCrds: new Set(["servicemonitors.monitoring.coreos.com"]) }), entropy), "ServiceMonitor"), undefined);
  // Obsolete children are deleted when they exist and are ours; the writes come last.
  const ours = (kind: string, name: string): KubeObject => ({ apiVersion: kind === "Service" ? "v1" : "monitoring.coreos.com/v1", kind, metadata: { name, namespace: "team-a", ownerReferences: [{ apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", name: "fs1", uid: server().metadata.uid ?? "", controller: true }] } });
  const stale = planPass(server(), { ...observed(), children: [ours("Service", "fs1-metrics"), ours("ServiceMonitor", "fs1-metrics")] }, entropy);
  assert.deepEqual(stale.writes.filter((w) => w.op === "delete").map((w) => w.resource.kind), ["Service", "ServiceMonitor"]);
  assert.equal(stale.writes.at(-1)?.op, "delete");
  const foreign = { ...ours("Service", "fs1-metrics"), metadata: { name: "fs1-metrics", namespace: "team-a" } };
  assert.deepEqual(planPass(server(), { ...observed(), children: [foreign] }, entropy).writes.filter((w) => w.op === "delete"), [], "not ours: left alone");
  const long = planPass(server({}, { name: "x".repeat(50) }), observed(), entropy);
  assert.equal(long.specProblems.length, 1);
  assert.equal(one(long, "StatefulSet"), undefined);
});

test("a pass over what the previous pass wrote writes nothing; drift is written back", () => {
  const first = planPass(server(), observed(), entropy);
  assert.deepEqual(first.writes.map((w) => `${w.op} ${w.resource.kind}`), ["create Secret", "create Secret", "apply ConfigMap", "apply Service", "apply Service", "apply NetworkPolicy", "apply StatefulSet"]);
  const settled = { ...observed({}, created(first)), children: first.desired };
  assert.deepEqual(planPass(server(), settled, entropy2).writes, []);
  const drifted = first.desired.map((o) => (o.kind === "ConfigMap" ? { ...o, data: { "config.yaml": "edited by hand" } } : o));
  assert.deepEqual(planPass(server(), { ...settled, children: drifted }, entropy2).writes.map((w) => w.step), ["apply ConfigMap fs1-config"]);
});
