import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoServerStatus } from "../../../src/api/types.ts";
import { transitionEvents } from "../../../src/dittoserver/events.ts";
import type { Condition } from "../../../src/runtime/objects.ts";

function c(type: string, status: "True" | "False", reason: string, message = `${type} ${reason}`): Condition {
  return { type, status, reason, message, lastTransitionTime: "2025-01-01T00:00:00Z" };
}
function st(fields: Partial<DittoServerStatus>, ...conditions: Condition[]): DittoServerStatus {
  return { phase: "Running", replicas: 1, configHash: "h1", ...fields, conditions };
}
const running = st({}, c("Ready", "True", "ServerReady"), c("Available", "True", "MinimumReplicasAvailable"), c("Progressing", "False", "RolloutComplete"), c("ConfigReady", "True", "ConfigApplied"));
const reasons = (prev: DittoServerStatus | undefined, next: DittoServerStatus, facts = {}) => transitionEvents(prev, next, facts).map((e) => `${e.type}/${e.reason}`);

test("a steady state emits nothing, pass after pass", () => {
  assert.deepEqual(reasons(running, running), []);
  assert.deepEqual(reasons(running, structuredClone(running)), []);
});

test("facts of the pass: finalizer, created and deleted children, expansions", () => {
  assert.deepEqual(reasons(undefined, running, { finalizerAdded: true, created: ["ConfigMap/fs1-config", "StatefulSet/fs1"], deleted: ["Service/fs1-metrics"], expandedVolumes: ["metadata-fs1-0"] }), [
    "Normal/FinalizerAdded", "Normal/ChildrenCreated", "Normal/ChildrenDeleted", "Normal/VolumeExpansionRequested", "Normal/Available",
  ]);
  const created = transitionEvents(undefined, running, { created: ["StatefulSet/fs1"] })[0];
  assert.match(created?.message ?? "", /StatefulSet\/fs1/);
});

test("hash change: ConfigChanged when the config changed, SecretRotated otherwise; first hash is not a change", () => {
  const next = { ...running, configHash: "h2" };
  assert.deepEqual(reasons(running, next, { configChanged: true }), ["Normal/ConfigChanged"]);
  assert.deepEqual(reasons(running, next, { configChanged: false }), ["Normal/SecretRotated"]);
  assert.deepEqual(reasons({ ...running, configHash: undefined }, running), []);
});

test("scaling", () => {
  const stopped = { ...running, replicas: 0, phase: "Stopped" as const };
  const events = transitionEvents(running, stopped);
  assert.deepEqual(events.map((e) => e.reason), ["Scaled"]);
  assert.match(events[0]!.message, /stopping/);
  assert.deepEqual(reasons(stopped, running), ["Normal/Scaled"]);
});

test("configuration problems warn once when they appear, not while they persist", () => {
  const broken = st({ phase: "Failed" }, c("Available", "True", "MinimumReplicasAvailable"), c("ConfigReady", "False", "SecretNotFound", "missing Secret pg"));
  const events = transitionEvents(running, broken);
  assert.deepEqual(events.map((e) => `${e.type}/${e.reason}`), ["Warning/SecretNotFound"]);
  assert.equal(events[0]!.message, "missing Secret pg");
  assert.deepEqual(reasons(broken, broken), []);
  const other = st({ phase: "Failed" }, c("Available", "True", "MinimumReplicasAvailable"), c("ConfigReady", "False", "StorageChangeRefused"));
  assert.deepEqual(reasons(broken, other), ["Warning/StorageChangeRefused"], "a new reason is a new transition");
  const failing = st({}, c("Available", "True", "MinimumReplicasAvailable"), c("ConfigReady", "False", "ApplyFailed"));
  assert.deepEqual(reasons(running, failing), ["Warning/ReconcileFailed"]);
});

test("database transitions", () => {
  const waiting = st({}, c("DatabaseReady", "False", "PerconaNotFound"));
  const notReady = st({}, c("DatabaseReady", "False", "PerconaNotReady"));
  const ready = st({}, c("DatabaseReady", "True", "PerconaReady"));
  const noCrd = st({}, c("DatabaseReady", "False", "PerconaCRDMissing"));
  assert.deepEqual(reasons(undefined, waiting), []);
  assert.deepEqual(reasons(waiting, notReady), ["Warning/PerconaNotReady"]);
  assert.deepEqual(reasons(notReady, notReady), []);
  assert.deepEqual(reasons(notReady, ready), ["Normal/PerconaReady"]);
  assert.deepEqual(reasons(ready, notReady), ["Warning/PerconaNotReady"]);
  assert.deepEqual(reasons(undefined, noCrd), ["Warning/PerconaCRDMissing"]);
});

test("availability: Unavailable only after having been available, tagged when a rollout explains it", () => {
  const down = st({ phase: "Pending" }, c("Available", "False", "NoReplicasAvailable", "no pod ready"), c("Progressing", "True", "RollingUpdate"));
  const events = transitionEvents(running, down);
  assert.deepEqual(events.map((e) => `${e.type}/${e.reason}`), ["Warning/Unavailable"]);
  assert.match(events[0]!.message, /expected while the pod is replaced/);
  const crashed = st({ phase: "Failed" }, c("Available", "False", "PodFailing"), c("Progressing", "False", "PodFailing", "rollout stuck"));
  assert.deepEqual(reasons(running, crashed), ["Warning/Unavailable", "Warning/PodFailing"]);
  assert.deepEqual(reasons(crashed, crashed), []);
  const creating = st({ phase: "Pending" }, c("Available", "False", "StatefulSetNotFound"), c("Progressing", "True", "Creating"));
  assert.deepEqual(reasons(undefined, creating), [], "never available yet: nothing to report");
  assert.deepEqual(reasons(down, running), ["Normal/Available", "Normal/RolloutComplete"]);
});

test("deletion: Deleting once, then each step once, from the status the pass wrote", () => {
  const deleting = { ...running, phase: "Deleting" as const };
  const step = (reason: string, status: "True" | "False" = "False"): DittoServerStatus => ({ ...deleting, conditions: [c("Ready", "False", "Deleting"), c("Progressing", status, reason)] });
  assert.deepEqual(reasons(running, deleting), ["Normal/Deleting"]);
  assert.deepEqual(reasons(deleting, deleting), [], "no Deleting event per pass");
  assert.deepEqual(reasons(step("PodsTerminating", "True"), step("PodsTerminated")), ["Normal/PodsTerminated"]);
  assert.deepEqual(reasons(step("PodsTerminated"), step("PodsTerminated")), [], "a step already in the status is not reported again (a restarted operator reads it back)");
  assert.deepEqual(reasons(running, step("PodsTerminated")), ["Normal/Deleting", "Normal/PodsTerminated"]);
  assert.deepEqual(reasons(deleting, deleting, { perconaOrphaned: "fs1-postgres" }), ["Normal/PerconaOrphaned"]);
  assert.deepEqual(reasons(deleting, deleting, { perconaDeleted: "fs1-postgres" }), ["Warning/PerconaDeleted"]);
  const failing = { ...deleting, conditions: [c("Degraded", "True", "ReconcileError", "scale StatefulSet fs1 to 0: boom")] };
  assert.deepEqual(reasons(deleting, failing), ["Warning/CleanupFailed"]);
  assert.match(transitionEvents(deleting, failing)[0]?.message ?? "", /^deletion step failed \(retrying\): scale StatefulSet fs1 to 0: boom$/);
  assert.deepEqual(reasons(failing, failing), [], "one CleanupFailed while the same step keeps failing");
  assert.deepEqual(reasons(step("PodsTerminating", "True"), step("PodsTerminatingSlowly", "True")), ["Warning/PodsTerminatingSlowly"]);
  assert.deepEqual(reasons(step("PodsTerminatingSlowly", "True"), step("CleanupTimeout")), ["Warning/CleanupTimeout"]);
  const broken = { ...deleting, conditions: [c("Available", "False", "NoReplicasAvailable")] };
  assert.deepEqual(reasons(running, broken), ["Normal/Deleting"], "availability loss during deletion is expected, not a warning");
});

test("every event has a CamelCase reason, an action and a message", () => {
  const all = transitionEvents(running, { ...running, configHash: "h9", replicas: 0 }, { finalizerAdded: true, created: ["x"], perconaDeleted: "p" });
  assert.ok(all.length >= 4);
  for (const e of all) {
    assert.match(e.reason, /^[A-Z][A-Za-z]+$/);
    assert.ok(e.action.length > 0 && e.message.length > 0);
  }
});

test("the API pass: one NotServing warning when Ready turns False for an adapter, one AuthenticationFailed, AccountProvisioned as a fact", () => {
  const notServing = st({}, c("Ready", "False", "AdapterNotRunning", "not serving: adapter smb (port 1445) is enabled but not running"), c("Available", "True", "MinimumReplicasAvailable"), c("Progressing", "False", "RolloutComplete"), c("ConfigReady", "True", "ConfigApplied"));
  assert.deepEqual(reasons(running, notServing), ["Warning/NotServing"]);
  assert.match(transitionEvents(running, notServing)[0]?.message ?? "", /adapter smb/);
  assert.deepEqual(reasons(notServing, structuredClone(notServing)), [], "once per transition");
  const failed = st({}, ...(running.conditions ?? []), c("Authenticated", "False", "AuthenticationFailed"));
  assert.deepEqual(reasons(running, failed), ["Warning/AuthenticationFailed"]);
  assert.deepEqual(reasons(failed, failed), []);
  assert.deepEqual(reasons(running, running, { accountProvisioned: true }), ["Normal/AccountProvisioned"]);
});

test("StoreFailed: one Warning when StoresReady turns False for a conflict or a refusal, none while pending", () => {
  const ok = st({}, c("StoresReady", "True", "StoresCreated"));
  const conflict = st({}, c("StoresReady", "False", "StoreConflict", "metadata store meta: a store of that name exists"));
  assert.deepEqual(reasons(ok, conflict), ["Warning/StoreFailed"]);
  assert.deepEqual(reasons(conflict, conflict), [], "not again while it stays");
  assert.deepEqual(reasons(ok, st({}, c("StoresReady", "False", "StorePending"))), [], "pending is no failure");
  assert.deepEqual(reasons(ok, st({}, c("StoresReady", "False", "StoreRejected"))), ["Warning/StoreFailed"]);
});
