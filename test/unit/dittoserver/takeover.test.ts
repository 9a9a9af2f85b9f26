/**
 * Switching from the reference operator, as the planner decides it: the volume layout, the StatefulSet replaced
 * through an orphan delete and held until the reference's pod is gone, Service selectors cleaned, NetworkPolicies
 * deleted, nothing done to servers that were never the reference's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { desiredStatefulSet } from "../../../src/dittoserver/statefulset.ts";
import type { Write } from "../../../src/dittoserver/executor.ts";
import { planPass } from "../../../src/dittoserver/plan.ts";
import type { Observed } from "../../../src/dittoserver/plan.ts";
import { computeStatus } from "../../../src/dittoserver/status.ts";
import { isReferenceStatefulSet, planTakeover, serviceCleanup, takeoverUnderway } from "../../../src/dittoserver/takeover.ts";
import { volumeLayout, volumeLayoutProblems } from "../../../src/dittoserver/volume-layout.ts";
import { transitionEvents } from "../../../src/dittoserver/events.ts";
import { passFacts } from "../../../src/dittoserver/reconciler.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { asList, at, NAME, NS, secret, server } from "./fixtures.ts";

const LAYOUT = "dittofs.dittofs.com/volume-layout";
const entropy = { jwt: new Uint8Array(32).fill(3), admin: new Uint8Array(18).fill(4) };
const owner = [{ apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", name: NAME, uid: "uid-1", controller: true }];
const refLabels = { app: "dittofs-server", instance: NAME };

/** The reference's StatefulSet as its fixture has it (selector, claim templates). */
function referenceSts(extra: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: NAME, namespace: NS, uid: "sts-uid", ownerReferences: owner, ...extra },
    spec: {
      selector: { matchLabels: refLabels },
      serviceName: `${NAME}-headless`,
      volumeClaimTemplates: ["metadata", "controlplane"].map((n) => ({ metadata: { name: n }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } })),
    },
  };
}

function referenceService(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS, uid: `${name}-uid`, labels: { ...refLabels, ...labels }, ownerReferences: owner }, spec: { selector: refLabels } };
}

function pod(labels: Record<string, string>, extra: Partial<KubeObject["metadata"]> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: `${NAME}-0`, namespace: NS, uid: "pod-uid", labels, ...extra } };
}

const policy = (name: string, key: string): KubeObject => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: NS, uid: `${name}-uid`, labels: { ...refLabels, [key]: "true" } } });

const secrets = [secret(`${NAME}-jwt-secret`, { "jwt-secret": "j".repeat(43) }), secret(`${NAME}-admin-bootstrap-credentials`, { username: "admin", password: "p".repeat(24) })];

function observed(children: KubeObject[], takeover?: Observed["takeover"]): Observed {
  return { secrets: new Map(secrets.map((s) => [s.metadata.name ?? "", s])), children, ...(takeover ? { takeover } : {}) };
}

const steps = (writes: readonly Write[]): string[] => writes.map((w) => `${w.op} ${w.resource.kind}`);

test("volume layouts: default paths, the reference's paths by annotation, an unknown value is a spec problem", () => {
  assert.deepEqual(volumeLayout(server()), { metadata: "/data/metadata", content: "/data/content" });
  assert.deepEqual(volumeLayout(server({}, { annotations: { [LAYOUT]: "reference" } })), { metadata: "/data/store/metadata", content: "/data/store/block" });
  assert.deepEqual(volumeLayoutProblems(server({}, { annotations: { [LAYOUT]: "reference" } })), []);
  assert.match(volumeLayoutProblems(server({}, { annotations: { [LAYOUT]: "Reference" } })).join(), /"Reference" is not a volume layout \(one of default, reference\)/);
  const sts = desiredStatefulSet(server({ storage: { metadataSize: "1Gi", contentSize: "5Gi" } }, { annotations: { [LAYOUT]: "reference" } }), "h");
  const mounts = asList(at(sts, "spec", "template", "spec", "containers", 0, "volumeMounts")).map((m) => `${String(m.name)}:${String(m.mountPath)}`);
  assert.deepEqual(mounts.filter((m) => /^(metadata|content|controlplane):/.test(m)), ["metadata:/data/store/metadata", "content:/data/store/block", "controlplane:/data/controlplane"]);
  const blocked = planPass(server({}, { annotations: { [LAYOUT]: "elsewhere" } }), observed([]), entropy);
  assert.ok(!blocked.desired.some((o) => o.kind === "StatefulSet"), "an unknown layout withholds the StatefulSet");
});

test("only the reference's exact selector marks its StatefulSet; our own and unknown ones are not taken over", () => {
  assert.equal(isReferenceStatefulSet(referenceSts(), NAME), true);
  assert.equal(isReferenceStatefulSet(referenceSts(), "other"), false);
  assert.equal(isReferenceStatefulSet(desiredStatefulSet(server(), "h"), NAME), false);
  const extraKey = { ...referenceSts(), spec: { selector: { matchLabels: { ...refLabels, tier: "x" } } } };
  assert.equal(isReferenceStatefulSet(extraKey, NAME), false);
  assert.deepEqual(planTakeover(server(), desiredStatefulSet(server(), "h"), [], undefined), { first: [], last: [] });
});

test("first pass over a reference server: layout recorded and NetworkPolicies deleted first, StatefulSet held, orphan delete and pod delete last", () => {
  const seen = { pod: pod({ ...refLabels, "controller-revision-hash": "x" }), networkPolicies: [policy(`${NAME}-baseline`, "dittofs.io/baseline-networkpolicy"), policy(`${NAME}-adapter-nfs`, "dittofs.io/adapter-networkpolicy")] };
  const services = [referenceService(`${NAME}-headless`), referenceService(`${NAME}-metrics`, { "dittofs.io/metrics-service": "true" })];
  const plan = planPass(server({ metrics: { enabled: true } }, { annotations: { "dittofs.dittofs.com/auth-retry-count": "306" } }), observed([referenceSts(), ...services], seen), entropy);
  assert.deepEqual(steps(plan.writes.slice(0, 3)), ["mergePatch DittoServer", "delete NetworkPolicy", "delete NetworkPolicy"]);
  assert.deepEqual(at(plan.writes[0], "patch"), { metadata: { annotations: { [LAYOUT]: "reference", "dittofs.dittofs.com/auth-retry-count": null } } });
  assert.ok(!plan.desired.some((o) => o.kind === "StatefulSet"), "ours waits until the reference's pod is gone");
  assert.deepEqual(plan.immutableChanges, [], "the reference's selector is replaced, not refused");
  const tail = plan.writes.slice(-4);
  assert.deepEqual(steps(tail), ["mergePatch Service", "mergePatch Service", "delete StatefulSet", "delete Pod"]);
  assert.deepEqual(at(tail[2], "propagationPolicy"), "Orphan");
  assert.deepEqual(at(tail[2], "preconditions"), { uid: "sts-uid" });
  assert.deepEqual(at(tail[3], "preconditions"), { uid: "pod-uid" });
  assert.ok(plan.writes.every((w) => w.op !== "create" || w.resource.kind !== "Secret"), "the reference's JWT and admin Secrets are kept, not regenerated");
  assert.match(plan.replacingStatefulSet ?? "", /being replaced/);

  const status = computeStatus({ server: server(), now: 0, ...(plan.replacingStatefulSet ? { replacingStatefulSet: plan.replacingStatefulSet } : {}) });
  assert.equal(status.conditions?.find((c) => c.type === "Progressing")?.reason, "ReplacingStatefulSet");
  assert.equal(status.conditions?.find((c) => c.type === "Available")?.message, "StatefulSet fs1 is being replaced");
  const facts = passFacts({ results: tail.map((write) => ({ write, outcome: "written" as const })) });
  assert.deepEqual(transitionEvents(undefined, status, facts).filter((e) => e.reason === "StatefulSetReplaced").map((e) => e.type), ["Normal"]);
});

test("later passes: nothing deleted twice; ours held while the reference's pod terminates, applied once it is gone", () => {
  const annotated = server({}, { annotations: { [LAYOUT]: "reference" } });
  const deleting = planPass(annotated, observed([referenceSts({ deletionTimestamp: "t" })], { pod: pod(refLabels, { deletionTimestamp: "t" }), networkPolicies: [] }), entropy);
  assert.deepEqual(deleting.writes.filter((w) => w.op === "delete" || w.resource.kind === "DittoServer"), []);
  assert.ok(deleting.replacingStatefulSet);
  const podLeft = planPass(annotated, observed([], { pod: pod(refLabels, { deletionTimestamp: "t" }), networkPolicies: [] }), entropy);
  assert.match(podLeft.replacingStatefulSet ?? "", /waiting for pod fs1-0 of the reference operator/);
  assert.ok(!podLeft.desired.some((o) => o.kind === "StatefulSet"));
  const gone = planPass(annotated, observed([], { networkPolicies: [] }), entropy);
  const sts = gone.desired.find((o) => o.kind === "StatefulSet");
  assert.ok(sts && gone.replacingStatefulSet === undefined);
  assert.deepEqual(asList(at(sts, "spec", "volumeClaimTemplates")).map((t) => at(t, "metadata", "name")), ["metadata", "controlplane"], "the claim templates keep the reference's names: its PVCs are re-used");
  assert.ok(asList(at(sts, "spec", "template", "spec", "containers", 0, "volumeMounts")).some((m) => m.mountPath === "/data/store/metadata"));
});

test("what is read live: the pod while the reference's StatefulSet exists or ours is still missing on a reference layout; policies only before the orphan delete", () => {
  assert.deepEqual(takeoverUnderway(server(), referenceSts()), { pod: true, networkPolicies: true });
  assert.deepEqual(takeoverUnderway(server(), referenceSts({ deletionTimestamp: "t" })), { pod: true, networkPolicies: false });
  assert.deepEqual(takeoverUnderway(server({}, { annotations: { [LAYOUT]: "reference" } }), undefined), { pod: true, networkPolicies: false });
  assert.deepEqual(takeoverUnderway(server(), undefined), { pod: false, networkPolicies: false }, "a new server costs no extra read");
  assert.deepEqual(takeoverUnderway(server({}, { annotations: { [LAYOUT]: "reference" } }), desiredStatefulSet(server(), "h")), { pod: false, networkPolicies: false });
});

test("Service cleanup removes only the reference's keys; our own pod and user labels are never touched", () => {
  const svc = referenceService(`${NAME}-adapter-nfs`, { "dittofs.io/adapter-service": "true", "dittofs.io/adapter-type": "nfs", team: "a" });
  svc.metadata.annotations = { "dittofs.io/managed-annotations": "x", keep: "y" };
  assert.deepEqual(serviceCleanup(svc, NAME), {
    spec: { selector: { app: null, instance: null } },
    metadata: { labels: { app: null, instance: null, "dittofs.io/adapter-service": null, "dittofs.io/adapter-type": null }, annotations: { "dittofs.io/managed-annotations": null } },
  });
  assert.equal(serviceCleanup({ ...svc, spec: { selector: { "app.kubernetes.io/name": "dittofs" } } }, NAME), undefined);
  const ours = pod({ "app.kubernetes.io/managed-by": "dittofs-operator" });
  assert.deepEqual(planTakeover(server({}, { annotations: { [LAYOUT]: "reference" } }), undefined, [], { pod: ours, networkPolicies: [] }), { first: [], last: [] });
  const stranger = pod({ app: "other" });
  const plan = planTakeover(server({}, { annotations: { [LAYOUT]: "reference" } }), undefined, [], { pod: stranger, networkPolicies: [policy("x", "unrelated")] });
  assert.deepEqual(plan.first.concat(plan.last), [], "a pod or policy that is not the reference's is never deleted");
  assert.match(plan.hold ?? "", /which is not ours/);
});
