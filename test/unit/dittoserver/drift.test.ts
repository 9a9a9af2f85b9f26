import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APPLIED_HASH_ANNOTATION, containsFields, firstDifference, needsApply, stableHash, withAppliedHash } from "../../../src/dittoserver/drift.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";

const desired: KubeObject = { apiVersion: "v1", kind: "Service", metadata: { name: "a", namespace: "n", annotations: { x: "1" } }, spec: { ports: [{ port: 80, nodePort: 0 }], type: "ClusterIP" } };

describe("drift", () => {
  it("hashes independently of key order", () => {
    assert.equal(stableHash({ a: 1, b: { c: 2, d: 3 } }), stableHash({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(stableHash({ a: 1 }), stableHash({ a: 2 }));
  });
  it("ignores fields the API server added and zero values it omitted", () => {
    const observed = { spec: { ports: [{ port: 80, protocol: "TCP" }], type: "ClusterIP", clusterIP: "10.0.0.1" } };
    assert.ok(containsFields(observed, { spec: desired.spec }));
    assert.ok(containsFields({}, { a: {}, b: [], c: 0, d: "" }));
  });
  it("sees changed values, changed list lengths and false kept as false", () => {
    assert.equal(containsFields({ spec: { type: "LoadBalancer" } }, { spec: { type: "ClusterIP" } }), false);
    assert.equal(containsFields({ l: [1, 2] }, { l: [1] }), false);
    assert.equal(containsFields({}, { b: false }), false);
    assert.match(firstDifference({ spec: { type: "LoadBalancer" } }, { spec: { type: "ClusterIP" } }) ?? "", /^\.spec\.type/);
  });
  it("applies when absent, when the desired object changed (also a removed field), or on drift — not otherwise", () => {
    const stamped = withAppliedHash(desired);
    const hash = stamped.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
    assert.ok(hash);
    assert.equal(needsApply(stamped, undefined), true);
    const observed = structuredClone(stamped);
    assert.equal(needsApply(stamped, observed), false);
    const removed = withAppliedHash({ ...desired, metadata: { ...desired.metadata, annotations: {} } });
    assert.equal(needsApply(removed, observed), true, "an annotation removed from the desired object is applied (SSA drops it)");
    const drifted = structuredClone(observed);
    (drifted.spec as { type: string }).type = "NodePort";
    assert.equal(needsApply(stamped, drifted), true);
  });
});
