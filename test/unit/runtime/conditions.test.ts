import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findCondition, isFalse, isTrue, removeCondition, setCondition } from "../../../src/runtime/conditions.ts";

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0, 123);
const T1 = T0 + 60_000;

describe("setCondition", () => {
  it("appends an absent condition with lastTransitionTime = now (second precision)", () => {
    const list = setCondition(undefined, { type: "Ready", status: "False", reason: "Pending", observedGeneration: 1 }, T0);
    assert.deepEqual(list, [
      {
        type: "Ready",
        status: "False",
        observedGeneration: 1,
        lastTransitionTime: "2026-01-01T10:00:00Z",
        reason: "Pending",
        message: "",
      },
    ]);
  });

  it("keeps lastTransitionTime when the status is unchanged but updates reason, message, observedGeneration", () => {
    const a = setCondition([], { type: "Ready", status: "False", reason: "Pending", message: "a", observedGeneration: 1 }, T0);
    const b = setCondition(a, { type: "Ready", status: "False", reason: "Waiting", message: "b", observedGeneration: 2 }, T1);
    assert.equal(b[0]!.lastTransitionTime, a[0]!.lastTransitionTime);
    assert.equal(b[0]!.reason, "Waiting");
    assert.equal(b[0]!.message, "b");
    assert.equal(b[0]!.observedGeneration, 2);
  });

  it("moves lastTransitionTime when the status changes, and leaves other conditions alone", () => {
    const a = setCondition(
      setCondition([], { type: "Ready", status: "False", reason: "Pending" }, T0),
      { type: "Available", status: "True", reason: "Up" },
      T0,
    );
    const b = setCondition(a, { type: "Ready", status: "True", reason: "AllGood" }, T1);
    assert.equal(findCondition(b, "Ready")!.lastTransitionTime, "2026-01-01T10:01:00Z");
    assert.deepEqual(findCondition(b, "Available"), findCondition(a, "Available"));
    assert.equal(b.length, 2);
    assert.equal(b[0]!.type, "Ready", "order kept");
  });

  it("does not mutate its input", () => {
    const a = Object.freeze(setCondition([], { type: "Ready", status: "False", reason: "Pending" }, T0));
    setCondition(a, { type: "Ready", status: "True", reason: "Done" }, T1);
    assert.equal(a[0]!.status, "False");
  });

  it("rejects invalid reasons, statuses and types", () => {
    assert.throws(() => setCondition([], { type: "Ready", status: "True", reason: "not camel" }, T0), /reason/);
    assert.throws(() => setCondition([], { type: "Ready", status: "True", reason: "" }, T0), /reason/);
    assert.throws(() => setCondition([], { type: "", status: "True", reason: "Ok" }, T0), /type/);
    assert.throws(() => setCondition([], { type: "Ready", status: "Yes" as "True", reason: "Ok" }, T0), /status/);
    assert.throws(
      () => setCondition([], { type: "Ready", status: "True", reason: "Ok", observedGeneration: -1 }, T0),
      /observedGeneration/,
    );
  });

  it("answers isTrue / isFalse / removeCondition", () => {
    const list = setCondition([], { type: "Ready", status: "True", reason: "Ok" }, T0);
    assert.equal(isTrue(list, "Ready"), true);
    assert.equal(isFalse(list, "Ready"), false);
    assert.equal(isTrue(list, "Other"), false);
    assert.deepEqual(removeCondition(list, "Ready"), []);
  });
});
