import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject, ObjectMeta } from "../../../src/runtime/objects.ts";
import {
  and,
  generationChanged,
  labelsChanged,
  or,
  passesCreate,
  passesUpdate,
  resourceVersionChanged,
  specOrLifecycleChanged,
} from "../../../src/runtime/predicates.ts";

function obj(meta: Partial<ObjectMeta>): KubeObject {
  return { apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "t", namespace: "ns", ...meta } };
}

describe("predicates", () => {
  it("generationChanged passes spec changes only", () => {
    assert.equal(passesUpdate(generationChanged, obj({ generation: 1 }), obj({ generation: 2 })), true);
    assert.equal(
      passesUpdate(generationChanged, obj({ generation: 1 }), obj({ generation: 1, labels: { a: "b" } })),
      false,
    );
    assert.equal(passesCreate(generationChanged, obj({})), true);
  });

  it("specOrLifecycleChanged also passes a finalizer landing and deletion starting, not status writes or resyncs", () => {
    const base = obj({ generation: 3, resourceVersion: "1" });
    assert.equal(passesUpdate(specOrLifecycleChanged, base, obj({ generation: 3, finalizers: ["x.io/f"] })), true);
    assert.equal(
      passesUpdate(specOrLifecycleChanged, base, obj({ generation: 3, deletionTimestamp: "2026-01-01T00:00:00Z" })),
      true,
    );
    assert.equal(passesUpdate(specOrLifecycleChanged, base, obj({ generation: 3, resourceVersion: "2" })), false);
    assert.equal(passesUpdate(specOrLifecycleChanged, base, base), false);
  });

  it("combines with or / and", () => {
    const a = obj({ labels: { x: "1" }, resourceVersion: "1" });
    const b = obj({ labels: { x: "2" }, resourceVersion: "2" });
    assert.equal(passesUpdate(and(labelsChanged, resourceVersionChanged), a, b), true);
    assert.equal(passesUpdate(and(labelsChanged, generationChanged), a, b), false);
    assert.equal(passesUpdate(or(generationChanged, labelsChanged), a, b), true);
    assert.equal(passesUpdate(resourceVersionChanged, a, a), false);
  });
});
