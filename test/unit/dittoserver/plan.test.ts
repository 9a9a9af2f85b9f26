import { test } from "node:test";
import assert from "node:assert/strict";
import { planPass } from "../../../src/dittoserver/plan.ts";
import type { Observed } from "../../../src/dittoserver/plan.ts";
import { computeStatus } from "../../../src/dittoserver/status.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { at, secret, server } from "./fixtures.ts";

const entropy = { jwt: new Uint8Array(32).fill(3), admin: new Uint8Array(18).fill(4) };
const entropy2 = { jwt: new Uint8Array(32).fill(5), admin: new Uint8Array(18).fill(6) };

function observed(extra: Partial<Observed> = {}, secrets: KubeObject[] = []): Observed {
  return { secrets: new Map(secrets.map((s) => [s.metadata.name ?? "", s])), ...extra };
}

test("first pass: generated Secrets created, hash already includes their values, StatefulSet applied", () => {
  const plan = planPass(server(), observed(), entropy);
  assert.deepEqual(plan.generatedSecrets.map((a) => a.action === "create" ? a.object.metadata.name : a.action), ["fs1-jwt-secret", "fs1-admin-bootstrap-credentials"]);
  assert.deepEqual(plan.missingSecrets, []);
  assert.ok(plan.statefulSet);
  assert.equal(at(plan.statefulSet, "spec", "template", "metadata", "annotations", "dittofs.dittofs.com/config-hash"), plan.configHash);
  assert.equal(plan.configChanged, true);
  // Next pass sees the Secrets it created: same hash, no second rollout.
  const created = plan.generatedSecrets.flatMap((a) => (a.action === "create" ? [a.object] : []));
  const next = planPass(server(), observed({ configMap: plan.configMap, statefulSet: plan.statefulSet }, created), entropy2);
  assert.deepEqual(next.generatedSecrets, [], "existing generated Secrets are never regenerated");
  assert.equal(next.configHash, plan.configHash);
  assert.equal(next.configChanged, false);
});

test("a generated Secret missing a key is filled, and the hash sees the filled value", () => {
  const partial = secret("fs1-admin-bootstrap-credentials", { username: "admin" });
  const jwt = secret("fs1-jwt-secret", { "jwt-secret": "j".repeat(43) });
  const plan = planPass(server(), observed({}, [partial, jwt]), entropy);
  assert.equal(plan.generatedSecrets.length, 1);
  assert.equal(plan.generatedSecrets[0]!.action, "addKeys");
  const filled = { ...partial, data: { ...(partial.data as object), ...(plan.generatedSecrets[0]!.action === "addKeys" ? plan.generatedSecrets[0]!.patch.data : {}) } };
  assert.equal(planPass(server(), observed({}, [filled, jwt]), entropy2).configHash, plan.configHash);
});

test("missing user Secret blocks the StatefulSet but still renders everything else", () => {
  const plan = planPass(server({ identity: { jwt: { secretRef: { name: "jwt", key: "k" } } } }), observed(), entropy);
  assert.equal(plan.statefulSet, undefined);
  assert.deepEqual(plan.missingSecrets.map((m) => m.name), ["jwt"]);
  assert.equal(plan.services.length, 3);
  assert.ok(plan.configMap);
});

test("storage: expansion only when the class allows it, otherwise refused; templates never change", () => {
  const first = planPass(server(), observed(), entropy).statefulSet!;
  const grown = server({ storage: { metadataSize: "20Gi" } });
  const allowed = planPass(grown, observed({ statefulSet: first, expandableClasses: new Set([""]) }), entropy);
  assert.deepEqual(allowed.pvcExpansions, [{ pvc: "metadata-fs1-0", expansion: { claim: "metadata", from: "10Gi", to: "20Gi" } }]);
  assert.ok(allowed.statefulSet);
  assert.equal(at(allowed.statefulSet, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"), "10Gi");
  const refused = planPass(grown, observed({ statefulSet: first }), entropy);
  assert.deepEqual(refused.pvcExpansions, []);
  assert.equal(refused.statefulSet, undefined);
  assert.match(refused.forbiddenStorageChanges[0]!.message, /does not allow volume expansion/);
  const status = computeStatus({ server: grown, now: 0, statefulSet: first, forbiddenStorageChanges: refused.forbiddenStorageChanges });
  assert.equal(status.phase, "Failed");
});

test("Percona: the first StatefulSet waits for a ready cluster and its user Secret; CRD missing skips the cluster", () => {
  const p = server({ percona: { enabled: true } });
  const cluster = (state: string): KubeObject => ({ apiVersion: "pgv2.percona.com/v2", kind: "PerconaPGCluster", metadata: { name: "fs1-postgres" }, status: { state } });
  const pguser = secret("fs1-postgres-pguser-dittofs", { host: "h", port: "5432", dbname: "dittofs", user: "dittofs", password: "pw" });
  const waiting = planPass(p, observed({ percona: { kind: "present", cluster: cluster("initializing") } }, [pguser]), entropy);
  assert.equal(waiting.statefulSet, undefined);
  assert.ok(waiting.percona, "the cluster is still applied (drift reconciled)");
  const noSecret = planPass(p, observed({ percona: { kind: "present", cluster: cluster("ready") } }), entropy);
  assert.equal(noSecret.statefulSet, undefined);
  const ready = planPass(p, observed({ percona: { kind: "present", cluster: cluster("ready") } }, [pguser]), entropy);
  assert.ok(ready.statefulSet);
  const existing = planPass(p, observed({ statefulSet: ready.statefulSet, percona: { kind: "present", cluster: cluster("initializing") } }, [pguser]), entropy);
  assert.ok(existing.statefulSet, "an existing StatefulSet keeps being reconciled while the database recovers");
  const noCrd = planPass(p, observed({ percona: { kind: "crdMissing" } }), entropy);
  assert.equal(noCrd.percona, undefined);
  assert.equal(noCrd.statefulSet, undefined);
});

test("ServiceMonitor skipped without its CRD; obsolete children listed; bad names reported", () => {
  const m = server({ metrics: { enabled: true, serviceMonitor: { enabled: true } } });
  assert.ok(planPass(m, observed(), entropy).serviceMonitor);
  assert.equal(planPass(m, observed({ serviceMonitorCrdInstalled: false }), entropy).serviceMonitor, undefined);
  assert.deepEqual(planPass(server(), observed(), entropy).obsolete.map((o) => o.kind), ["Service", "ServiceMonitor"]);
  const long = planPass(server({}, { name: "x".repeat(50) }), observed(), entropy);
  assert.equal(long.specProblems.length, 1);
  assert.equal(long.statefulSet, undefined);
});
