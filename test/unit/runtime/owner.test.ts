import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject, OwnerReference } from "../../../src/runtime/objects.ts";
import { controllerOf, controllerOwnerKeys, controllerOwnerReference, isControlledBy } from "../../../src/runtime/owner.ts";

const owner: KubeObject = {
  apiVersion: "example.com/v1",
  kind: "Thing",
  metadata: { name: "parent", namespace: "ns", uid: "uid-1" },
};
const thing = { group: "example.com", kind: "Thing", namespaced: true };

function child(refs: OwnerReference[], namespace = "ns"): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace, ownerReferences: refs } };
}

describe("controllerOwnerReference", () => {
  it("builds a controller reference with blockOwnerDeletion", () => {
    assert.deepEqual(controllerOwnerReference(owner), {
      apiVersion: "example.com/v1",
      kind: "Thing",
      name: "parent",
      uid: "uid-1",
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  it("refuses an owner without uid", () => {
    assert.throws(() => controllerOwnerReference({ ...owner, metadata: { name: "x" } }), /uid/);
  });
});

describe("controllerOwnerKeys", () => {
  it("maps a child to its controller owner of the primary group and kind, in the child's namespace", () => {
    const ref = controllerOwnerReference(owner);
    assert.deepEqual(controllerOwnerKeys(child([ref]), thing), ["ns/parent"]);
    assert.equal(controllerOf(child([ref]))?.uid, "uid-1");
    assert.equal(isControlledBy(child([ref]), owner), true);
  });

  it("ignores non-controller references, other kinds and other groups, but not other versions", () => {
    const base = controllerOwnerReference(owner);
    assert.deepEqual(controllerOwnerKeys(child([{ ...base, controller: false }]), thing), []);
    assert.deepEqual(controllerOwnerKeys(child([{ ...base, kind: "Other" }]), thing), []);
    assert.deepEqual(controllerOwnerKeys(child([{ ...base, apiVersion: "other.com/v1" }]), thing), []);
    assert.deepEqual(controllerOwnerKeys(child([{ ...base, apiVersion: "example.com/v2" }]), thing), ["ns/parent"]);
    assert.deepEqual(controllerOwnerKeys(child([]), thing), []);
  });

  it("maps to a cluster-scoped owner by name only", () => {
    const ref = { ...controllerOwnerReference(owner), name: "cluster-thing" };
    assert.deepEqual(controllerOwnerKeys(child([ref]), { ...thing, namespaced: false }), ["cluster-thing"]);
  });

  it("handles the core group (apiVersion without a slash)", () => {
    const ref: OwnerReference = { apiVersion: "v1", kind: "Service", name: "svc", uid: "u", controller: true };
    assert.deepEqual(controllerOwnerKeys(child([ref]), { group: "", kind: "Service", namespaced: true }), ["ns/svc"]);
  });
});
