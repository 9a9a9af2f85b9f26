/** Ready and Synced of a DittoUser/DittoGroup pass from its problems and whether the server has the object. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { verdicts } from "../../../src/dittouser/verdicts.ts";

test("in sync and present: Synced InSync, Ready with the kind's reason", () => {
  const v = verdicts("user alice", "UserExists", [], true);
  assert.deepEqual([v.synced.status, v.synced.reason, v.ready.status, v.ready.reason], ["True", "InSync", "True", "UserExists"]);
});

test("problems: Synced names the first and lists all; Ready stays True while present, carries the reason otherwise", () => {
  const problems = [{ reason: "GroupNotFound" as const, message: "group a does not exist" }, { reason: "ShareNotFound" as const, message: "share /b does not exist" }];
  const present = verdicts("user alice", "UserExists", problems, true);
  assert.deepEqual([present.synced.status, present.synced.reason, present.synced.message], ["False", "GroupNotFound", "group a does not exist; share /b does not exist"]);
  assert.equal(present.ready.status, "True");
  const absent = verdicts("group ops", "GroupExists", [{ reason: "GroupUnmanaged", message: "not ours" }], false);
  assert.deepEqual([absent.ready.status, absent.ready.reason], ["False", "GroupUnmanaged"]);
});
