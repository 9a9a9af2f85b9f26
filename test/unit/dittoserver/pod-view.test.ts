import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { podFailure, podUnschedulable, podView } from "../../../src/dittoserver/observe.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";

const graces = { graceMs: 30_000, volumeBindingGraceMs: 600_000 };
const now = Date.parse("2026-01-01T00:10:00Z");

function pod(status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "fs1-0", namespace: "ns", resourceVersion: "9", labels: { "app.kubernetes.io/instance": "fs1" }, deletionTimestamp: "2026-01-01T00:09:00Z" },
    spec: { containers: [{ name: "dittofs", image: "dittofs:1", env: [{ name: "A", value: "b" }] }], volumes: [{ name: "data" }] },
    status: { phase: "Pending", podIP: "10.0.0.1", hostIP: "10.0.0.2", qosClass: "Burstable", ...status },
  };
}

const waiting = (reason: string): Record<string, unknown> => ({
  name: "dittofs",
  image: "dittofs:1",
  imageID: "sha256:abc",
  restartCount: 3,
  ready: false,
  volumeMounts: [{ name: "data", mountPath: "/data" }],
  state: { waiting: { reason, message: `${reason} message` } },
});

const cases: [string, Record<string, unknown>][] = [
  ["a failing container", { containerStatuses: [waiting("CrashLoopBackOff")] }],
  ["a failing init container", { initContainerStatuses: [waiting("ImagePullBackOff")], containerStatuses: [waiting("PodInitializing")] }],
  ["an unschedulable pod", { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available", lastTransitionTime: "2026-01-01T00:00:00Z" }] }],
  ["a claim still binding", { conditions: [{ type: "PodScheduled", status: "False", message: "pod has unbound immediate PersistentVolumeClaims", lastTransitionTime: "2026-01-01T00:09:50Z" }] }],
  ["a running pod", { phase: "Running", conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "dittofs", state: { running: { startedAt: "2026-01-01T00:01:00Z" } } }] }],
  ["no status yet", {}],
];

describe("podView (what the cache keeps of a pod)", () => {
  for (const [what, status] of cases) {
    it(`reads the same as the full pod: ${what}`, () => {
      const full = pod(status);
      const view = podView(full);
      assert.deepEqual(podFailure(view), podFailure(full));
      assert.deepEqual(podUnschedulable(view, now, graces), podUnschedulable(full, now, graces));
      assert.deepEqual(view.metadata, full.metadata, "name, labels and deletionTimestamp are read");
    });
  }

  it("drops the spec and the status fields nothing reads", () => {
    const view = podView(pod({ containerStatuses: [waiting("CrashLoopBackOff")] }));
    assert.equal(view.spec, undefined);
    assert.deepEqual(view.status, {
      podIP: "10.0.0.1",
      containerStatuses: [{ name: "dittofs", state: { waiting: { reason: "CrashLoopBackOff", message: "CrashLoopBackOff message" } } }],
    }, "the pod IP stays: the DittoFS API is reached there");
  });
});
