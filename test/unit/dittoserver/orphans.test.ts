import assert from "node:assert/strict";
import { test } from "node:test";
import { extraClaimNames, extraOrdinals, orphanedClaimDeletes } from "../../../src/dittoserver/orphans.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { NS, server } from "./fixtures.ts";

const sts = (spec: number, status: number): KubeObject => ({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "fs1", namespace: NS }, spec: { replicas: spec }, status: { replicas: status } });
const claim = (name: string, state: { volumeName?: string; phase?: string; deleting?: boolean }): KubeObject => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: NS, uid: `uid-${name}`, ...(state.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
  spec: state.volumeName ? { volumeName: state.volumeName } : {},
  status: state.phase ? { phase: state.phase } : {},
});

test("extra ordinals: from the StatefulSet's replicas (spec or status) above 1, or pod 1 in the cache; none for 0 or 1", () => {
  assert.deepEqual(extraOrdinals(sts(1, 1), false), []);
  assert.deepEqual(extraOrdinals(sts(0, 0), false), [], "stopped: ordinal 0 is never an extra");
  assert.deepEqual(extraOrdinals(undefined, false), []);
  assert.deepEqual(extraOrdinals(sts(3, 1), false), [1, 2], "scaled up by someone, before the revert");
  assert.deepEqual(extraOrdinals(sts(1, 3), false), [1, 2], "reverted, the extra pods still counted");
  assert.deepEqual(extraOrdinals(sts(1, 1), true), [1], "pod 1 in the cache");
});

test("extra claim names: every claim template at every extra ordinal, never ordinal 0", () => {
  assert.deepEqual(extraClaimNames(server(), [1, 2]), ["metadata-fs1-1", "controlplane-fs1-1", "metadata-fs1-2", "controlplane-fs1-2"]);
  assert.deepEqual(extraClaimNames(server({ storage: { metadataSize: "1Gi", contentSize: "5Gi" } }), [1]), ["metadata-fs1-1", "content-fs1-1", "controlplane-fs1-1"]);
});

test("orphaned claims: only the never-bound ones are deleted (UID precondition, NotFound tolerated); a bound claim is data and stays", () => {
  const claims = new Map<string, KubeObject | undefined>([
    ["metadata-fs1-1", claim("metadata-fs1-1", { volumeName: "pv-1", phase: "Bound" })],
    ["controlplane-fs1-1", claim("controlplane-fs1-1", { phase: "Pending" })],
    ["metadata-fs1-2", claim("metadata-fs1-2", { volumeName: "pv-2" })], // bound, status not updated yet
    ["controlplane-fs1-2", claim("controlplane-fs1-2", { phase: "Pending", deleting: true })],
    ["content-fs1-1", undefined],
  ]);
  const writes = orphanedClaimDeletes(NS, claims);
  assert.equal(writes.length, 1);
  const [w] = writes;
  assert.ok(w?.op === "delete");
  assert.deepEqual(w.ref, { namespace: NS, name: "controlplane-fs1-1" });
  assert.deepEqual(w.preconditions, { uid: "uid-controlplane-fs1-1" });
  assert.deepEqual(w.tolerate, ["NotFound"]);
  assert.deepEqual(w.fact, { deleted: "PersistentVolumeClaim/controlplane-fs1-1" });
});
