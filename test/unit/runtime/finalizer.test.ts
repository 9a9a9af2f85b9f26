import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JsonPatchOp } from "../../../src/runtime/client.ts";
import { addFinalizerPatch, finalizer, finalizerAction, removeFinalizerPatch } from "../../../src/runtime/finalizer.ts";
import type { CleanupResult } from "../../../src/runtime/finalizer.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";

const F = "example.com/finalizer";

function obj(finalizers?: string[], deleting = false): KubeObject {
  return {
    apiVersion: "example.com/v1",
    kind: "Thing",
    metadata: {
      name: "t",
      namespace: "ns",
      ...(finalizers ? { finalizers } : {}),
      ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
  };
}

describe("finalizerAction", () => {
  it("follows the kube-rs state table", () => {
    assert.equal(finalizerAction(obj(), F), "add");
    assert.equal(finalizerAction(obj(["other.io/f"]), F), "add");
    assert.equal(finalizerAction(obj([F]), F), "apply");
    assert.equal(finalizerAction(obj([F], true), F), "cleanup");
    assert.equal(finalizerAction(obj(["other.io/f"], true), F), "none", "never adds to a deleting object");
    assert.equal(finalizerAction(obj(undefined, true), F), "none");
  });
});

describe("finalizer patches", () => {
  it("adds to an absent list behind a null test", () => {
    assert.deepEqual(addFinalizerPatch(obj(), F), [
      { op: "test", path: "/metadata/finalizers", value: null },
      { op: "add", path: "/metadata/finalizers", value: [F] },
    ]);
  });

  it("appends to an existing list behind a test of the whole list, keeping other finalizers", () => {
    assert.deepEqual(addFinalizerPatch(obj(["a.io/x", "b.io/y"]), F), [
      { op: "test", path: "/metadata/finalizers", value: ["a.io/x", "b.io/y"] },
      { op: "add", path: "/metadata/finalizers/-", value: F },
    ]);
  });

  it("removes only ours, at its index, behind a test of that index", () => {
    assert.deepEqual(removeFinalizerPatch(obj(["a.io/x", F, "b.io/y"]), F), [
      { op: "test", path: "/metadata/finalizers/1", value: F },
      { op: "remove", path: "/metadata/finalizers/1" },
    ]);
    assert.equal(removeFinalizerPatch(obj(["a.io/x"]), F), undefined);
  });
});

describe("finalizer() during deletion", () => {
  const things = { group: "example.com", version: "v1", plural: "things", kind: "Thing", namespaced: true };
  async function run(cleanup: CleanupResult): Promise<{ result: unknown; patches: JsonPatchOp[][] }> {
    const patches: JsonPatchOp[][] = [];
    const writer = { jsonPatch: (_r: unknown, _ref: unknown, ops: JsonPatchOp[]) => { patches.push(ops); return Promise.resolve(obj()); } };
    const result = await finalizer(writer, things, F, obj([F], true), { apply: () => Promise.resolve("applied"), cleanup: () => Promise.resolve(cleanup) });
    return { result, patches };
  }

  it("a failed cleanup keeps the finalizer and returns the failure with its retry floor", async () => {
    const error = new Error("scale refused");
    const { result, patches } = await run({ done: false, error, retryFloorMs: 30_000 });
    assert.deepEqual(result, { error, retryFloorMs: 30_000 });
    assert.equal(patches.length, 0);
  });

  it("a cleanup still waiting asks to look again; a finished one removes the finalizer", async () => {
    assert.deepEqual((await run({ done: false, requeueAfter: 500 })).result, { requeueAfter: 500 });
    const done = await run({ done: true });
    assert.equal(done.result, undefined);
    assert.deepEqual(done.patches, [removeFinalizerPatch(obj([F], true), F)]);
  });
});
