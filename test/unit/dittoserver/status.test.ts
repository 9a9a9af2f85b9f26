import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoServer, DittoServerStatus } from "../../../src/api/types.ts";
import { blockingProblems, computeStatus, statusEqual } from "../../../src/dittoserver/status.ts";
import type { DeletionProgress, StatusInput } from "../../../src/dittoserver/status.ts";
import type { Condition, KubeObject } from "../../../src/runtime/objects.ts";
import { server } from "./fixtures.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const T1 = Date.parse("2025-01-01T00:05:00Z");

interface StsState { replicas?: number; ready?: number; current?: number; updated?: number; generation?: number; observed?: number; rev?: [string, string]; hash?: string }
function sts(s: StsState = {}): KubeObject {
  const replicas = s.replicas ?? 1;
  const [current, update] = s.rev ?? ["r1", "r1"];
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "fs1", namespace: "team-a", generation: s.generation ?? 1 },
    spec: { replicas, template: { metadata: { annotations: { "dittofs.dittofs.com/config-hash": s.hash ?? "hash-1" } } } },
    status: {
      observedGeneration: s.observed ?? s.generation ?? 1,
      replicas: s.current ?? replicas,
      readyReplicas: s.ready ?? replicas,
      availableReplicas: s.ready ?? replicas,
      updatedReplicas: s.updated ?? s.current ?? replicas,
      currentRevision: current,
      updateRevision: update,
    },
  };
}

function pod(waitingReason?: string, init = false): KubeObject {
  const status = [{ name: init ? "wait-for-postgres" : "dittofs", state: waitingReason ? { waiting: { reason: waitingReason, message: "back-off 5m0s" } } : { running: {} } }];
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "fs1-0" }, status: init ? { initContainerStatuses: status } : { containerStatuses: status } };
}

function run(input: Partial<StatusInput> & { server?: DittoServer }): DittoServerStatus {
  return computeStatus({ server: input.server ?? server(), now: T0, ...input });
}
function cond(status: DittoServerStatus, type: string): Condition | undefined {
  return (status.conditions)?.find((c) => c.type === type);
}
function summary(status: DittoServerStatus): Record<string, string> {
  return Object.fromEntries(((status.conditions ?? []) as Condition[]).map((c) => [c.type, `${c.status}/${c.reason}`]));
}

test("first pass: nothing exists yet → Pending, creating", () => {
  const s = run({});
  assert.deepEqual(summary(s), {
    Ready: "False/NotAvailable", Available: "False/StatefulSetNotFound", Progressing: "True/Creating", Degraded: "False/AsExpected", ConfigReady: "True/ConfigApplied",
  });
  assert.equal(s.phase, "Pending");
  assert.equal(s.ready, "0/1");
  assert.equal(s.replicas, 1);
  assert.equal(s.observedGeneration, 1);
  assert.equal(s.nfsEndpoint, "fs1-adapter-nfs.team-a.svc.cluster.local:12049", "the NFS adapter Service's name, ahead of it");
  assert.equal(s.perconaClusterName, undefined);
  assert.deepEqual((s.conditions ?? []).map((c) => c.type), ["Ready", "Available", "Progressing", "Degraded", "ConfigReady"], "canonical order, no DatabaseReady without a database to wait for");
  for (const c of s.conditions ?? []) assert.equal(c.observedGeneration, 1);
});

test("running: every condition met → Ready, Running, hash from the applied template", () => {
  const s = run({ statefulSet: sts({ hash: "abc" }), pod: pod() });
  assert.deepEqual(summary(s), {
    Ready: "True/ServerReady", Available: "True/MinimumReplicasAvailable", Progressing: "False/RolloutComplete", Degraded: "False/AsExpected", ConfigReady: "True/ConfigApplied",
  });
  assert.equal(s.phase, "Running");
  assert.equal(s.ready, "1/1");
  assert.equal(s.readyReplicas, 1);
  assert.equal(s.availableReplicas, 1);
  assert.equal(s.configHash, "abc");
});

test("rolling while still serving vs down while rolling vs down and stuck", () => {
  const rollingUp = run({ statefulSet: sts({ rev: ["r1", "r2"], updated: 0 }) });
  assert.equal(cond(rollingUp, "Progressing")?.status, "True");
  assert.equal(cond(rollingUp, "Progressing")?.reason, "RollingUpdate");
  assert.equal(cond(rollingUp, "Available")?.status, "True");
  assert.equal(cond(rollingUp, "Ready")?.reason, "RolloutInProgress");
  assert.equal(rollingUp.phase, "Running");

  const rollingDown = run({ statefulSet: sts({ rev: ["r1", "r2"], ready: 0, updated: 0 }), pod: pod() });
  assert.equal(cond(rollingDown, "Available")?.reason, "NoReplicasAvailable");
  assert.equal(cond(rollingDown, "Progressing")?.status, "True", "down because the pod is being replaced");
  assert.equal(rollingDown.phase, "Pending");

  const stuck = run({ statefulSet: sts({ ready: 0 }), pod: pod("CrashLoopBackOff") });
  assert.deepEqual([cond(stuck, "Available")?.reason, cond(stuck, "Progressing")?.status, cond(stuck, "Progressing")?.reason, cond(stuck, "Degraded")?.status], ["PodFailing", "False", "PodFailing", "True"]);
  assert.match(cond(stuck, "Available")?.message ?? "", /container dittofs: CrashLoopBackOff/);
  assert.equal(stuck.phase, "Failed");

  const initStuck = run({ statefulSet: sts({ ready: 0 }), pod: pod("CrashLoopBackOff", true) });
  assert.match(cond(initStuck, "Degraded")?.message ?? "", /init container wait-for-postgres/);
});

test("spec not yet observed by the StatefulSet controller counts as rolling", () => {
  const s = run({ statefulSet: sts({ generation: 3, observed: 2 }) });
  assert.equal(cond(s, "Progressing")?.reason, "RollingUpdate");
});

function unschedulablePod(since: number, message = "0/3 nodes: volume node affinity conflict"): KubeObject {
  const scheduled = { type: "PodScheduled", status: "False", lastTransitionTime: new Date(since).toISOString(), message };
  return { apiVersion: "v1", kind: "Pod", metadata: {}, status: { conditions: [scheduled] } };
}

test("waiting for the pod to become ready, with the scheduler's reason once it has lasted the grace period", () => {
  const early = run({ statefulSet: sts({ ready: 0 }), pod: unschedulablePod(T0 - 29_000) });
  assert.equal(cond(early, "Progressing")?.reason, "WaitingForPodReady");
  assert.equal(cond(early, "Progressing")?.message, "waiting for pod fs1-0 to become ready");
  assert.equal(cond(early, "Available")?.message, "no pod of StatefulSet fs1 is ready");

  const late = run({ statefulSet: sts({ ready: 0 }), pod: unschedulablePod(T0 - 30_000) });
  assert.equal(cond(late, "Progressing")?.reason, "WaitingForPodReady");
  assert.match(cond(late, "Progressing")?.message ?? "", /volume node affinity conflict/);
  assert.match(cond(late, "Available")?.message ?? "", /volume node affinity conflict/);
  assert.equal(late.phase, "Pending");

  const shortGrace = run({ statefulSet: sts({ ready: 0 }), pod: unschedulablePod(T0 - 1_000), unschedulableGraceMs: 500 });
  assert.match(cond(shortGrace, "Available")?.message ?? "", /volume node affinity conflict/);
});

test("a pod that only waits for its claims to bind is reported after the volume-binding grace (10 min), not the 30 s one", () => {
  const unbound = "0/20 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: not helpful";
  const binding = run({ statefulSet: sts({ ready: 0 }), pod: unschedulablePod(T0 - 9 * 60_000, unbound) });
  assert.equal(cond(binding, "Progressing")?.message, "waiting for pod fs1-0 to become ready");
  const stuck = run({ statefulSet: sts({ ready: 0 }), pod: unschedulablePod(T0 - 10 * 60_000, unbound) });
  assert.match(cond(stuck, "Progressing")?.message ?? "", /unbound immediate PersistentVolumeClaims/);
  // Seen at N=1000: once bound, the claim's volume may be missing from the scheduler's cache for a moment.
  const racing = [`0/10 nodes are available: persistentvolumeclaim "metadata-fs1-0" bound to non-existent persistentvolume "". not found`, `0/10 nodes are available: persistentvolumeclaim "metadata-fs1-0" not found`];
  for (const message of racing) assert.equal(cond(run({ statefulSet: sts({ ready: 0 }), pod: unschedulablePod(T0 - 60_000, message) }), "Available")?.message, "no pod of StatefulSet fs1 is ready", message);
  const own = run({ statefulSet: sts({ ready: 0 }), pod: unschedulablePod(T0 - 2_000, unbound), volumeBindingGraceMs: 1_000 });
  assert.match(cond(own, "Available")?.message ?? "", /unbound immediate PersistentVolumeClaims/);
});

test("a first start is one status from the StatefulSet's creation until the pod is ready", () => {
  // What one start looks like through successive passes: the StatefulSet not yet seen by its controller, the
  // pod being created, the pod created but not ready. Each would otherwise be a status write of its own.
  const passes = [
    sts({ generation: 1, observed: 0, current: 0, ready: 0, updated: 0 }),
    sts({ current: 0, ready: 0, updated: 0 }),
    sts({ current: 1, ready: 0, updated: 1 }),
  ].map((statefulSet) => run({ statefulSet, pod: unschedulablePod(T0 - 2_000) }));
  for (const s of passes) {
    assert.equal(cond(s, "Progressing")?.reason, "WaitingForPodReady");
    assert.equal(s.phase, "Pending");
  }
  assert.ok(statusEqual(passes[0], passes[1]) && statusEqual(passes[1], passes[2]), "no status change between the passes");
  const ready = run({ statefulSet: sts(), pod: pod() });
  assert.equal(ready.phase, "Running");
  assert.equal(statusEqual(passes[2], ready), false);
});

test("a start from replicas 0 waits for the pod; a scale-down with the pod still there is Scaling", () => {
  const starting = run({ statefulSet: sts({ replicas: 1, current: 0, ready: 0, updated: 0 }) });
  assert.equal(cond(starting, "Progressing")?.reason, "WaitingForPodReady");
  const rolling = run({ statefulSet: sts({ current: 1, ready: 0, rev: ["r1", "r2"], updated: 0 }) });
  assert.equal(cond(rolling, "Progressing")?.reason, "RollingUpdate", "an old pod being replaced is a rollout, not a start");
});

test("stopped (replicas 0), and scaling down towards it", () => {
  const stopped = run({ server: server({ replicas: 0 }), statefulSet: sts({ replicas: 0 }) });
  assert.equal(stopped.phase, "Stopped");
  assert.equal(cond(stopped, "Available")?.reason, "ScaledToZero");
  assert.equal(cond(stopped, "Ready")?.status, "True");
  assert.equal(stopped.ready, "0/0");
  const stopping = run({ server: server({ replicas: 0 }), statefulSet: sts({ replicas: 0, current: 1, ready: 1 }) });
  assert.equal(cond(stopping, "Progressing")?.reason, "Scaling");
  assert.equal(cond(stopping, "Ready")?.status, "False");
  assert.equal(stopping.phase, "Stopped");
});

test("missing user Secret or key blocks progress: Failed, Progressing Blocked, message names them", () => {
  const s = run({
    statefulSet: sts(),
    missingSecrets: [
      { name: "pg", key: "password", purpose: "postgres.password", source: "user", secretAbsent: false },
      { name: "ldap", key: "pw", purpose: "ldap.bindPassword", source: "user", secretAbsent: true },
    ],
  });
  assert.equal(s.phase, "Failed");
  assert.equal(cond(s, "ConfigReady")?.reason, "SecretNotFound");
  assert.match(cond(s, "ConfigReady")?.message ?? "", /key password of Secret pg \(for postgres.password\).*Secret ldap \(for ldap.bindPassword\)/);
  assert.deepEqual([cond(s, "Progressing")?.status, cond(s, "Progressing")?.reason], ["False", "Blocked"]);
  assert.equal(cond(s, "Available")?.status, "True", "the old pod keeps serving");
  assert.equal(cond(s, "Ready")?.reason, "ConfigNotReady");
  const absentSts = run({ missingSecrets: [{ name: "x", key: "k", purpose: "jwt", source: "user", secretAbsent: true }] });
  assert.match(cond(absentSts, "Progressing")?.message ?? "", /StatefulSet fs1 not created: missing Secret x/);
});

test("an operator-generated Secret not yet visible is transient, not Failed", () => {
  const s = run({ missingSecrets: [{ name: "fs1-jwt-secret", key: "jwt-secret", purpose: "jwt", source: "operator", secretAbsent: true }] });
  assert.equal(cond(s, "ConfigReady")?.reason, "SecretNotFound");
  assert.equal(s.phase, "Pending");
  assert.deepEqual(blockingProblems({ server: server(), now: T0, missingSecrets: [{ name: "fs1-jwt-secret", key: "k", purpose: "jwt", source: "operator", secretAbsent: true }] }), []);
});

test("refused storage change, missing StorageClass, invalid spec → Failed with their reasons", () => {
  const refused = run({ statefulSet: sts(), forbiddenStorageChanges: [{ claim: "metadata", field: "size", message: "volume metadata cannot shrink from 10Gi to 5Gi" }] });
  assert.equal(refused.phase, "Failed");
  assert.equal(cond(refused, "ConfigReady")?.reason, "StorageChangeRefused");
  assert.match(cond(refused, "ConfigReady")?.message ?? "", /cannot shrink/);
  const immutable = run({ statefulSet: sts(), immutableChanges: ["spec.selector"] });
  assert.match(cond(immutable, "ConfigReady")?.message ?? "", /spec.selector of StatefulSet fs1 is immutable/);
  const noClass = run({ missingStorageClasses: ["fast"] });
  assert.equal(cond(noClass, "ConfigReady")?.reason, "StorageClassNotFound");
  assert.equal(noClass.phase, "Failed");
  const invalid = run({ specProblems: ["name too long"] });
  assert.equal(cond(invalid, "ConfigReady")?.reason, "InvalidSpec");
  assert.equal(invalid.phase, "Failed");
  const both = run({ specProblems: ["bad"], missingStorageClasses: ["fast"] });
  assert.equal(cond(both, "ConfigReady")?.reason, "InvalidSpec", "the first problem gives the reason");
  assert.match(cond(both, "ConfigReady")?.message ?? "", /bad; StorageClass fast not found/);
});

test("transient apply errors: ConfigReady ApplyFailed and Degraded, phase still reflects the pod", () => {
  const s = run({ statefulSet: sts(), errors: [{ step: "apply Service fs1-api", message: "connection reset" }] });
  assert.equal(cond(s, "ConfigReady")?.reason, "ApplyFailed");
  assert.equal(cond(s, "Degraded")?.reason, "ReconcileError");
  assert.match(cond(s, "ConfigReady")?.message ?? "", /apply Service fs1-api: connection reset/);
  assert.equal(s.phase, "Running");
  assert.equal(cond(s, "Ready")?.status, "False");
});

test("volume expansion in progress", () => {
  const s = run({ statefulSet: sts(), expandingVolumes: ["metadata-fs1-0"] });
  assert.equal(cond(s, "Progressing")?.reason, "ExpandingVolumes");
  assert.match(cond(s, "Progressing")?.message ?? "", /metadata-fs1-0/);
});

test("Percona: every database state", () => {
  const p = server({ percona: { enabled: true } });
  const cluster = (state?: string): KubeObject => ({ apiVersion: "pgv2.percona.com/v2", kind: "PerconaPGCluster", metadata: { name: "fs1-postgres" }, ...(state ? { status: { state } } : {}) });

  const crd = run({ server: p, percona: { kind: "crdMissing" } });
  assert.equal(cond(crd, "DatabaseReady")?.reason, "PerconaCRDMissing");
  assert.equal(crd.phase, "Failed");
  assert.equal(cond(crd, "ConfigReady")?.status, "True", "the CRD is not a config problem");

  const absent = run({ server: p, percona: { kind: "absent" } });
  assert.equal(cond(absent, "DatabaseReady")?.reason, "PerconaNotFound");
  assert.equal(cond(absent, "Progressing")?.reason, "WaitingForDatabase");
  assert.equal(absent.phase, "Pending");
  assert.equal(absent.perconaClusterName, "fs1-postgres");

  const init = run({ server: p, percona: { kind: "present", cluster: cluster("initializing") } });
  assert.equal(cond(init, "DatabaseReady")?.reason, "PerconaNotReady");
  assert.match(cond(init, "DatabaseReady")?.message ?? "", /fs1-postgres is initializing/);
  assert.equal(cond(run({ server: p, percona: { kind: "present", cluster: cluster() } }), "DatabaseReady")?.reason, "PerconaNotReady");

  const ready = run({ server: p, percona: { kind: "present", cluster: cluster("ready") }, statefulSet: sts() });
  assert.equal(cond(ready, "DatabaseReady")?.status, "True");
  assert.equal(cond(ready, "Ready")?.status, "True");

  const noUser = run({ server: p, percona: { kind: "present", cluster: cluster("ready") }, statefulSet: sts(), missingSecrets: [{ name: "fs1-postgres-pguser-dittofs", key: "host", purpose: "postgres.host", source: "percona", secretAbsent: true }] });
  assert.equal(cond(noUser, "DatabaseReady")?.reason, "DatabaseSecretNotFound");
  assert.equal(cond(noUser, "Ready")?.reason, "DatabaseNotReady");
  assert.notEqual(noUser.phase, "Failed", "the Percona operator writes that Secret; waiting is right");

  const dbDown = run({ server: p, percona: { kind: "present", cluster: cluster("initializing") }, statefulSet: sts() });
  assert.equal(cond(dbDown, "Ready")?.reason, "DatabaseNotReady");
  assert.equal(dbDown.phase, "Running");
});

test("DatabaseReady disappears when Percona is turned off", () => {
  const withDb = run({ server: server({ percona: { enabled: true } }), percona: { kind: "absent" } });
  const later = run({ server: { ...server(), status: withDb }, statefulSet: sts() });
  assert.equal(cond(later, "DatabaseReady"), undefined);
  assert.equal(later.perconaClusterName, undefined);
});

test("deletion: phase Deleting, Ready names the pods still terminating", () => {
  const s = run({ server: server({}, { deletionTimestamp: "2025-01-01T00:00:00Z" }), statefulSet: sts(), deletion: { step: "terminating", pods: ["fs1-0"] } });
  assert.equal(s.phase, "Deleting");
  assert.deepEqual([cond(s, "Ready")?.status, cond(s, "Ready")?.reason], ["False", "Deleting"]);
  assert.match(cond(s, "Ready")?.message ?? "", /waiting for fs1-0 to terminate/);
});

test("deletion: Progressing carries the step of the wait for the pods", () => {
  const deleting = (deletion: DeletionProgress): DittoServerStatus => run({ server: server({}, { deletionTimestamp: "2025-01-01T00:00:00Z" }), statefulSet: sts(), deletion });
  const step = (s: DittoServerStatus): string[] => [cond(s, "Progressing")?.status ?? "", cond(s, "Progressing")?.reason ?? ""];
  assert.deepEqual(step(deleting({ step: "terminating", pods: ["fs1-0"] })), ["True", "PodsTerminating"]);
  const slow = deleting({ step: "terminatingSlowly", pods: ["fs1-0"], afterSeconds: 30, timeoutSeconds: 60 });
  assert.deepEqual(step(slow), ["True", "PodsTerminatingSlowly"]);
  assert.match(cond(slow, "Progressing")?.message ?? "", /fs1-0 still terminating after 30s; waiting up to 60s/);
  assert.match(cond(slow, "Ready")?.message ?? "", /waiting for fs1-0 to terminate/);
  const late = deleting({ step: "timedOut", pods: ["fs1-0"], afterSeconds: 60 });
  assert.deepEqual(step(late), ["False", "CleanupTimeout"]);
  assert.equal(cond(late, "Ready")?.message, "deleting", "no longer waiting for the pod");
  assert.deepEqual(step(deleting({ step: "podsTerminated" })), ["False", "PodsTerminated"]);
});

test("lastTransitionTime moves only when a condition's status flips", () => {
  const first = run({ statefulSet: sts({ ready: 0 }) });
  const same = computeStatus({ server: { ...server(), status: first }, now: T1, statefulSet: sts({ ready: 0 }) });
  assert.equal(cond(same, "Available")?.lastTransitionTime, "2025-01-01T00:00:00Z");
  assert.ok(statusEqual(first, same), "an unchanged world produces an equal status: no write, no churn");
  const flipped = computeStatus({ server: { ...server(), status: first }, now: T1, statefulSet: sts() });
  assert.equal(cond(flipped, "Available")?.lastTransitionTime, "2025-01-01T00:05:00Z");
  assert.equal(cond(flipped, "ConfigReady")?.lastTransitionTime, "2025-01-01T00:00:00Z");
  assert.equal(statusEqual(first, flipped), false);
});

test("nfsEndpoint of <name>-file (before the handover): load-balancer IP, hostname, IPv6, or DNS with the configured cluster domain", () => {
  const svc = (ingress: unknown[]): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: {}, status: { loadBalancer: { ingress } } });
  assert.equal(run({ nfsServices: { file: svc([{ ip: "203.0.113.7" }]) } }).nfsEndpoint, "203.0.113.7:12049");
  assert.equal(run({ nfsServices: { file: svc([{ hostname: "lb.example.com" }]) } }).nfsEndpoint, "lb.example.com:12049");
  assert.equal(run({ nfsServices: { file: svc([{ ip: "2001:db8::1" }]) } }).nfsEndpoint, "[2001:db8::1]:12049");
  assert.equal(run({ nfsServices: { file: svc([]) }, clusterDomain: "corp.internal" }).nfsEndpoint, "fs1-file.team-a.svc.corp.internal:12049");
});

test("nfsEndpoint follows the NFS adapter's Service once it exists: its port, its load-balancer address, else its DNS name", () => {
  const nfs = (port: number, ingress: unknown[] = []): KubeObject => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "fs1-adapter-nfs" },
    spec: { ports: [{ name: "adapter-nfs", port, protocol: "TCP" }, { name: "adapter-nfs-udp", port, protocol: "UDP" }, { name: "mdns", port: 5353, protocol: "UDP" }] },
    status: { loadBalancer: { ingress } },
  });
  const file: KubeObject = { apiVersion: "v1", kind: "Service", metadata: {}, status: { loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } } };
  assert.equal(run({ nfsServices: { adapter: nfs(12049), file } }).nfsEndpoint, "fs1-adapter-nfs.team-a.svc.cluster.local:12049", "the adapter Service wins over <name>-file");
  assert.equal(run({ nfsServices: { adapter: nfs(2049) } }).nfsEndpoint, "fs1-adapter-nfs.team-a.svc.cluster.local:2049", "a moved adapter moves the endpoint");
  assert.equal(run({ nfsServices: { adapter: nfs(2049, [{ ip: "198.51.100.9" }]) } }).nfsEndpoint, "198.51.100.9:2049");
  assert.equal(run({ nfsServices: {}, clusterDomain: "corp.internal" }).nfsEndpoint, "fs1-adapter-nfs.team-a.svc.corp.internal:12049");
});

test("statusEqual ignores condition order and undefined fields, sees real differences", () => {
  const a = run({ statefulSet: sts() });
  const reordered = { ...a, conditions: [...(a.conditions ?? [])].reverse(), perconaClusterName: undefined };
  assert.equal(statusEqual(a, reordered), true);
  assert.equal(statusEqual(a, { ...a, readyReplicas: 0 }), false);
  assert.equal(statusEqual(undefined, undefined), true);
  assert.equal(statusEqual(a, undefined), false);
});

test("the API pass: Authenticated and status.adapters as reported; Ready needs serving once the adapters are known", () => {
  const smbDown = { type: "smb", port: 1445, enabled: true, running: false, health: { status: "unhealthy", message: "bind: address already in use" } };
  const nfs = { type: "nfs", port: 12049, enabled: true, running: true, health: { status: "healthy", message: "" } };
  const authenticated = { ok: true, reason: "AuthenticationSucceeded", message: "authenticated" };
  const notServing = run({ statefulSet: sts(), api: { authenticated, adapters: [smbDown, nfs], serving: { serving: false, reason: "AdapterNotRunning", adapter: "smb", message: "adapter smb (port 1445) is enabled but not running: bind: address already in use" } } });
  assert.equal(summary(notServing).Ready, "False/AdapterNotRunning");
  assert.match(cond(notServing, "Ready")?.message ?? "", /adapter smb \(port 1445\).*address already in use/);
  assert.equal(summary(notServing).Authenticated, "True/AuthenticationSucceeded");
  assert.deepEqual(notServing.adapters?.map((a) => `${a.type}:${a.running}:${a.status}`), ["nfs:true:healthy", "smb:false:unhealthy"], "sorted by type");
  assert.equal(notServing.phase, "Running", "the pod is available; only Ready says it does not serve");

  const serving = run({ statefulSet: sts(), api: { authenticated, adapters: [nfs], serving: { serving: true, message: "serving: nfs on 12049" } } });
  assert.equal(summary(serving).Ready, "True/ServerReady");
  assert.equal(cond(serving, "Ready")?.message, "DittoServer fs1 is serving: nfs on 12049");

  const unknown = run({ statefulSet: sts(), api: { authenticated: { ok: false, reason: "APIUnreachable", message: "did not answer" } } });
  assert.equal(summary(unknown).Ready, "True/ServerReady", "adapters never seen for this pod: Ready follows the pod");
  assert.equal(summary(unknown).Authenticated, "False/APIUnreachable");
  assert.equal(unknown.adapters, undefined);
  assert.deepEqual((unknown.conditions ?? []).map((c) => c.type).at(-1), "Authenticated");

  const withoutApi = run({ statefulSet: sts() });
  assert.equal(cond(withoutApi, "Authenticated"), undefined, "no API pass: no Authenticated condition");
});
