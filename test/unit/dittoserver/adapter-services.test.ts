/**
 * The adapter Services child kind through the planner: applied once the adapter list is known, pruned when an
 * adapter is disabled or gone, untouched while the list is unknown; and the handover from `<name>-file`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Adapter } from "../../../src/dittofs/wire.ts";
import type { AdapterView } from "../../../src/dittoserver/adapters.ts";
import { transitionEvents } from "../../../src/dittoserver/events.ts";
import { fileServiceRetirement } from "../../../src/dittoserver/file-service.ts";
import { planPass } from "../../../src/dittoserver/plan.ts";
import type { Observed, PassPlan } from "../../../src/dittoserver/plan.ts";
import { fileService } from "../../../src/dittoserver/services.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { at, server } from "./fixtures.ts";

const entropy = { jwt: new Uint8Array(32).fill(3), admin: new Uint8Array(18).fill(4) };

function adapter(type: string, port: number, enabled = true): Adapter {
  return { type, port, enabled, running: enabled, health: { status: enabled ? "healthy" : "disabled", message: "" } };
}
const both: AdapterView = { adapters: [adapter("nfs", 12049), adapter("smb", 1445)] };

/** A child as the cache holds it after the operator created it (builders set the owner reference). */
function owned(obj: KubeObject): KubeObject {
  assert.equal(obj.metadata.ownerReferences?.[0]?.uid, server().metadata.uid);
  return obj;
}

function pass(children: readonly KubeObject[], adapters?: AdapterView): PassPlan {
  const observed: Observed = { secrets: new Map(), children, ...(adapters ? { adapters } : {}) };
  return planPass(server(), observed, entropy);
}

const services = (plan: PassPlan): string[] => plan.desired.filter((o) => o.kind === "Service").map((o) => o.metadata.name ?? "");
const serviceWrites = (plan: PassPlan): string[] => plan.writes.filter((w) => w.resource.kind === "Service").map((w) => w.step);
/** What the pass wants of the adapter-derived Services, as the cache would hold them after it. */
const settled = (plan: PassPlan): KubeObject[] => plan.desired.filter((o) => o.kind === "Service").map(owned);

test("adapter list unknown: no adapter Service is created, and none is deleted", () => {
  const first = pass([]);
  assert.deepEqual(services(first), ["fs1-headless", "fs1-api"], "a new server gets no <name>-file either");
  const nfs = owned(pass([], both).desired.find((o) => o.metadata.name === "fs1-adapter-nfs")!);
  const unknown = pass([nfs]);
  assert.deepEqual(unknown.writes.filter((w) => w.op === "delete"), [], "an unreachable API must not delete a Service that carries traffic");
  assert.ok(!serviceWrites(unknown).includes("apply Service fs1-adapter-nfs"), "nor apply it");
});

test("adapter list known: one Service per enabled adapter with the adapter's ports; a second pass writes nothing", () => {
  const first = pass([], both);
  assert.deepEqual(services(first), ["fs1-headless", "fs1-api", "fs1-adapter-nfs", "fs1-adapter-smb"]);
  const nfs = first.desired.find((o) => o.metadata.name === "fs1-adapter-nfs");
  assert.equal(at(nfs, "spec", "type"), "LoadBalancer", "spec.adapterServices.type's default");
  assert.deepEqual(at(nfs, "spec", "ports", 0), { name: "adapter-nfs", port: 12049, targetPort: 12049, protocol: "TCP" });
  assert.deepEqual(serviceWrites(pass(settled(first), both)), []);
});

test("an adapter disabled or gone: its Service is deleted; moved: its Service is applied with the new port", () => {
  const cached = settled(pass([], both));
  const disabled = pass(cached, { adapters: [adapter("nfs", 12049), adapter("smb", 1445, false)] });
  assert.deepEqual(disabled.writes.filter((w) => w.op === "delete").map((w) => w.step), ["delete Service fs1-adapter-smb"]);
  const gone = pass(cached, { adapters: [adapter("nfs", 12049)] });
  assert.deepEqual(gone.writes.filter((w) => w.op === "delete").map((w) => w.step), ["delete Service fs1-adapter-smb"]);
  const moved = pass(cached, { adapters: [adapter("nfs", 2049), adapter("smb", 1445)] });
  assert.deepEqual(serviceWrites(moved), ["apply Service fs1-adapter-nfs"]);
  assert.equal(at(moved.desired.find((o) => o.metadata.name === "fs1-adapter-nfs"), "spec", "ports", 0, "port"), 2049);
});

test("<name>-file: kept while the adapter list is unknown, kept until every adapter Service exists, then deleted", () => {
  const file = owned(fileService(server()));
  const base = settled(pass([])); // headless, API
  // Unknown: untouched (neither applied nor deleted), even though the spec no longer creates it.
  const unknown = pass([...base, file]);
  assert.deepEqual(serviceWrites(unknown).filter((s) => s.includes("fs1-file")), []);
  // Known, adapter Services not there yet: created, and <name>-file is still wanted (kept in step with the spec).
  const creating = pass([...base, file], both);
  assert.deepEqual(services(creating), ["fs1-headless", "fs1-api", "fs1-adapter-nfs", "fs1-adapter-smb", "fs1-file"]);
  assert.deepEqual(creating.writes.filter((w) => w.op === "delete"), []);
  // Only one of them exists: still kept.
  const nfsOnly = settled(creating).filter((o) => o.metadata.name !== "fs1-adapter-smb");
  assert.deepEqual(pass(nfsOnly, both).writes.filter((w) => w.op === "delete"), []);
  // All exist: <name>-file is retired, last, and the pass names its replacements.
  const handedOver = pass(settled(creating), both);
  assert.deepEqual(handedOver.writes.filter((w) => w.op === "delete").map((w) => w.step), ["delete Service fs1-file"]);
  assert.equal(handedOver.writes.at(-1)?.step, "delete Service fs1-file");
  const retired = fileServiceRetirement(server(), ["Service/fs1-file"], handedOver.desired);
  assert.deepEqual(retired, { service: "fs1-file", replacedBy: ["fs1-adapter-nfs", "fs1-adapter-smb"] });
  assert.equal(fileServiceRetirement(server(), ["Service/fs1-metrics"], handedOver.desired), undefined, "another deletion is no retirement");
  // A foreign <name>-file (not ours) is never deleted.
  const foreign = { ...file, metadata: { name: "fs1-file", namespace: "team-a" } };
  const rest = settled(creating).filter((o) => o.metadata.name !== "fs1-file");
  assert.deepEqual(pass([...rest, foreign], both).writes.filter((w) => w.op === "delete"), []);
});

test("a new server whose adapter list is known at once never gets <name>-file", () => {
  const plan = pass(settled(pass([])), both);
  assert.ok(!services(plan).includes("fs1-file"));
});

test("FileServiceRetired: one Normal event naming the replacements, instead of ChildrenDeleted for it", () => {
  const facts = { deleted: ["Service/fs1-file", "Service/fs1-metrics"], fileServiceRetired: { service: "fs1-file", replacedBy: ["fs1-adapter-nfs", "fs1-adapter-smb"] } };
  const events = transitionEvents(undefined, { phase: "Running", conditions: [] }, facts);
  assert.deepEqual(events.map((e) => `${e.type}/${e.reason}`), ["Normal/ChildrenDeleted", "Normal/FileServiceRetired"]);
  assert.equal(events[0]!.message, "deleted Service/fs1-metrics (no longer in the spec)");
  assert.equal(events[1]!.message, "deleted Service fs1-file: replaced by Service fs1-adapter-nfs, fs1-adapter-smb");
  const alone = transitionEvents(undefined, { phase: "Running", conditions: [] }, { deleted: ["Service/fs1-file"], fileServiceRetired: { service: "fs1-file", replacedBy: [] } });
  assert.deepEqual(alone.map((e) => e.reason), ["FileServiceRetired"]);
  assert.match(alone[0]!.message, /no adapter is enabled/);
});
