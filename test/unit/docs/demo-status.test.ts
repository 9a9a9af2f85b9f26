/** The demo's pure helpers (hack/demo-status.ts): arguments, condition-change lines, the Ready table row. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { conditionChanges, isReadyRow, parseArgs } from "../../../hack/demo-status.ts";

describe("demo helpers", () => {
  it("parses its flags and rejects unknown ones", () => {
    assert.deepEqual(parseArgs(["--exit-when-ready", "--timeout=30"]), { exitWhenReady: true, keepLogs: false, timeoutMs: 30_000 });
    assert.throws(() => parseArgs(["--exit"]), /unknown argument --exit/);
    assert.throws(() => parseArgs(["--timeout=soon"]), /--timeout takes seconds/);
  });

  it("prints new and changed conditions only", () => {
    const before = [{ type: "Ready", status: "False", reason: "NotAvailable" }, { type: "Degraded", status: "False", reason: "AsExpected" }];
    const after = [{ type: "Ready", status: "True", reason: "ServerReady", message: "serving" }, { type: "Degraded", status: "False", reason: "AsExpected" }, { type: "Available", status: "True" }];
    assert.deepEqual(conditionChanges(before, after), ["condition Ready: False → True (ServerReady) serving", "condition Available: True"]);
  });

  it("recognises the Ready row of kubectl get", () => {
    assert.equal(isReadyRow("minimal   1/1     Running   12s\n"), true);
    assert.equal(isReadyRow("minimal   0/1     Pending   3s"), false);
    assert.equal(isReadyRow("minimal   1/1     Deleting   3s"), false);
  });
});
