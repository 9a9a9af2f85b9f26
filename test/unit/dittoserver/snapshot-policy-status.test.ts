/** `status.snapshotPolicies`, the `SnapshotPoliciesReady` condition and its Warning, from the sync's record. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoServerStatus } from "../../../src/api/types.ts";
import { transitionEvents } from "../../../src/dittoserver/events.ts";
import { computeStatus } from "../../../src/dittoserver/status.ts";
import type { StatusInput } from "../../../src/dittoserver/status.ts";
import { server } from "./fixtures.ts";

const policies = { snapshotPolicies: [{ share: "/export", interval: "@daily" }] };
const run = (input: Partial<StatusInput> = {}, spec: Record<string, unknown> = policies, previous?: DittoServerStatus): DittoServerStatus =>
  computeStatus({ server: { ...server(spec), ...(previous ? { status: previous } : {}) }, now: 0, ...input });
const cond = (s: DittoServerStatus) => s.conditions?.find((c) => c.type === "SnapshotPoliciesReady");

test("no policies: no condition and no record", () => {
  const s = run({}, {});
  assert.equal(cond(s), undefined);
  assert.equal(s.snapshotPolicies, undefined);
});

test("policies not synced yet: Pending; the sync's record: Applied, or ShareNotFound naming the share; Ready does not depend on it", () => {
  const pending = run();
  assert.deepEqual([cond(pending)?.status, cond(pending)?.reason], ["False", "SnapshotPolicyPending"]);
  const applied = run({ snapshotPolicies: [{ share: "/export", state: "Applied" }] });
  assert.deepEqual([cond(applied)?.status, cond(applied)?.reason], ["True", "SnapshotPoliciesApplied"]);
  assert.deepEqual(applied.snapshotPolicies, [{ share: "/export", state: "Applied" }]);
  const missing = run({ snapshotPolicies: [{ share: "/export", state: "ShareNotFound", message: "HTTP 404" }] });
  assert.deepEqual([cond(missing)?.status, cond(missing)?.reason], ["False", "ShareNotFound"]);
  assert.match(cond(missing)?.message ?? "", /share \/export/);
  assert.equal(missing.conditions?.find((c) => c.type === "Ready")?.reason, applied.conditions?.find((c) => c.type === "Ready")?.reason);
});

test("a pass without a sync keeps the record the status carries; an emptied record drops the field and the condition", () => {
  const previous = run({ snapshotPolicies: [{ share: "/export", state: "Applied" }] });
  assert.deepEqual(run({}, policies, previous).snapshotPolicies, previous.snapshotPolicies);
  const cleared = run({ snapshotPolicies: [] }, {}, previous);
  assert.equal(cleared.snapshotPolicies, undefined);
  assert.equal(cond(cleared), undefined);
});

test("SnapshotPolicyFailed: one Warning when the condition turns False for a share or refused values, none while pending", () => {
  const applied = run({ snapshotPolicies: [{ share: "/export", state: "Applied" }] });
  const missing = run({ snapshotPolicies: [{ share: "/export", state: "ShareNotFound", message: "HTTP 404" }] }, policies, applied);
  const events = transitionEvents(applied, missing).filter((e) => e.reason === "SnapshotPolicyFailed");
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, "Warning");
  assert.match(events[0]!.message, /\/export/);
  assert.deepEqual(transitionEvents(missing, run({ snapshotPolicies: [{ share: "/export", state: "ShareNotFound", message: "HTTP 404" }] }, policies, missing)).filter((e) => e.reason === "SnapshotPolicyFailed"), [], "not again while it stays");
  assert.deepEqual(transitionEvents(applied, run({}, { snapshotPolicies: [{ share: "/other", interval: "1h" }] }, applied)).filter((e) => e.reason === "SnapshotPolicyFailed"), [], "pending is no failure");
});
