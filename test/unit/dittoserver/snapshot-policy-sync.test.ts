/**
 * The snapshot-policy sync step against a scripted API: which calls it makes, what it records, how a missing share
 * is retried (bounded, with back-off), and that a failure of the API stops it without touching the record.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SnapshotPolicySpec, SnapshotPolicyStatus } from "../../../src/api/types.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { SnapshotPolicy, SnapshotPolicyBody } from "../../../src/dittofs/wire.ts";
import { afterRefusal, POLICY_RETRY, retryPending, snapshotPolicyCondition } from "../../../src/dittoserver/snapshot-policies.ts";
import type { PolicyRetries } from "../../../src/dittoserver/snapshot-policies.ts";
import { syncSnapshotPolicies } from "../../../src/dittoserver/snapshot-policy-sync.ts";
import type { SnapshotPolicyApi } from "../../../src/dittoserver/snapshot-policy-sync.ts";

/** The promise of an answer computed now; a throw becomes a rejection, as from the real client. */
function answer<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(fn());
  });
}

/** A server with shares and policies, recording every call. */
function fakeServer(shares: string[], policies: SnapshotPolicy[] = []) {
  const calls: string[] = [];
  const held = new Map(policies.map((p) => [p.share, p]));
  let down = false;
  const fail = (method: string, path: string) => new DittoFsError("transient", 0, method, path, `DittoFS API ${method} ${path}: connect ECONNREFUSED`);
  const api: SnapshotPolicyApi = {
    listSnapshotPolicies: () => answer(() => {
      calls.push("list");
      if (down) throw fail("GET", "/api/v1/snapshot-policies");
      return [...held.values()];
    }),
    putSnapshotPolicy: (token: string, share: string, body: SnapshotPolicyBody) => answer(() => {
      calls.push(`put ${share}`);
      assert.equal(token, "t0k");
      if (down) throw fail("PUT", share);
      if (!shares.includes(share)) throw new DittoFsError("notFound", 404, "PUT", share, `DittoFS API PUT ${share}: HTTP 404: share not found`);
      const policy = { share, interval: body.interval, keepLast: body.keep_last ?? 0, ttl: body.ttl ?? "", enabled: body.enabled ?? true, namePrefix: body.name_prefix ?? "" };
      held.set(share, policy);
      return policy;
    }),
    deleteSnapshotPolicy: (_token: string, share: string) => answer(() => {
      calls.push(`delete ${share}`);
      if (down) throw fail("DELETE", share);
      if (!held.delete(share)) throw new DittoFsError("notFound", 404, "DELETE", share, "no policy");
    }),
  };
  return { api, calls, held, shares, setDown: (value: boolean) => (down = value) };
}

const spec: SnapshotPolicySpec[] = [{ share: "/export", interval: "1h" }, { share: "archive", interval: "6h", keepLast: 3 }];

test("applies the spec, then stays quiet: one GET and no write when in sync", async () => {
  const s = fakeServer(["/export", "/archive"]);
  const first = await syncSnapshotPolicies(s.api, { token: "t0k", desired: spec, record: [], now: 0 });
  assert.deepEqual(s.calls, ["list", "put /export", "put /archive"]);
  assert.deepEqual(first.answered.map((o) => `${o.op} ${o.share} ${o.result}`), ["put /export ok", "put /archive ok"]);
  assert.equal(first.error, undefined);
  assert.deepEqual(first.record, [{ share: "/archive", state: "Applied" }, { share: "/export", state: "Applied" }]);
  s.calls.length = 0;
  const second = await syncSnapshotPolicies(s.api, { token: "t0k", desired: spec, record: first.record, retries: first.retries, now: 1 });
  assert.deepEqual(s.calls, ["list"]);
  assert.deepEqual(second.answered, []);
  assert.deepEqual(second.record, first.record);
});

test("removes only what it applied; a policy already gone is not an error", async () => {
  const manual = { share: "/manual", interval: "168h0m0s", keepLast: 0, ttl: "", enabled: true, namePrefix: "" };
  const s = fakeServer(["/export", "/archive", "/manual"], [manual]);
  const applied = await syncSnapshotPolicies(s.api, { token: "t0k", desired: spec, record: [], now: 0 });
  s.calls.length = 0;
  const removed = await syncSnapshotPolicies(s.api, { token: "t0k", desired: spec.slice(0, 1), record: applied.record, now: 1 });
  assert.deepEqual(s.calls, ["list", "delete /archive"]);
  assert.deepEqual(removed.record, [{ share: "/export", state: "Applied" }]);
  assert.ok(s.held.has("/manual"), "dfsctl's policy stays");
  // Listed, then removed by someone else before the DELETE: done all the same.
  const racing = { ...s.api, deleteSnapshotPolicy: async (token: string, share: string) => { s.held.delete(share); return s.api.deleteSnapshotPolicy(token, share); } };
  await syncSnapshotPolicies(s.api, { token: "t0k", desired: spec, record: [], now: 2 });
  const again = await syncSnapshotPolicies(racing, { token: "t0k", desired: spec.slice(0, 1), record: applied.record, now: 3 });
  assert.equal(again.error, undefined);
  assert.deepEqual(again.record, [{ share: "/export", state: "Applied" }]);
});

test("a missing share: ShareNotFound naming it, retried after 30 s doubling (bounded), at once when the spec changes", async () => {
  const s = fakeServer(["/export"]);
  const desired: SnapshotPolicySpec[] = [{ share: "/export", interval: "1h" }, { share: "/later", interval: "1h" }];
  let result = await syncSnapshotPolicies(s.api, { token: "t0k", desired, record: [], now: 0 });
  assert.equal(result.record.find((e) => e.share === "/later")?.state, "ShareNotFound");
  assert.match(result.record.find((e) => e.share === "/later")?.message ?? "", /404/);
  const puts = () => s.calls.filter((c) => c === "put /later").length;
  // Polls every 10 s for 10 minutes: the PUT is retried at 30 s, 60 s, 120 s, 240 s, 480 s (± 20 %), not 60 times.
  for (let now = 10_000; now <= 600_000; now += 10_000) {
    const next = await syncSnapshotPolicies(s.api, { token: "t0k", desired, record: result.record, retries: result.retries, now });
    assert.deepEqual(next.record, result.record, "the record does not churn while waiting");
    result = next;
  }
  assert.ok(puts() >= 4 && puts() <= 6, `${puts()} PUTs of the missing share in 10 minutes`);
  // The spec for it changes: tried at once.
  const before = puts();
  const changed: SnapshotPolicySpec[] = [desired[0]!, { share: "/later", interval: "2h" }];
  result = await syncSnapshotPolicies(s.api, { token: "t0k", desired: changed, record: result.record, retries: result.retries, now: 600_001 });
  assert.equal(puts(), before + 1);
  // The share appears: applied on the next due attempt, and the retry is forgotten.
  s.shares.push("/later");
  const due = result.retries["/later"]!.backoff.retryAt;
  result = await syncSnapshotPolicies(s.api, { token: "t0k", desired: changed, record: result.record, retries: result.retries, now: due });
  assert.equal(result.record.find((e) => e.share === "/later")?.state, "Applied");
  assert.deepEqual(result.retries, {});
});

test("the API down: the step stops at the first failure, returns it, and leaves the record as it was", async () => {
  const s = fakeServer(["/export", "/archive"]);
  const applied = await syncSnapshotPolicies(s.api, { token: "t0k", desired: spec, record: [], now: 0 });
  s.setDown(true);
  s.calls.length = 0;
  const listFails = await syncSnapshotPolicies(s.api, { token: "t0k", desired: [], record: applied.record, now: 1 });
  assert.deepEqual(s.calls, ["list"]);
  assert.ok(listFails.error instanceof DittoFsError);
  assert.deepEqual(listFails.record, applied.record, "no status churn while unreachable");
  // Reachable for the list, then down: one PUT tried, nothing after it.
  s.setDown(false);
  const record: SnapshotPolicyStatus[] = applied.record;
  const flaky = { ...s.api, putSnapshotPolicy: () => answer<SnapshotPolicy>(() => { s.calls.push("put (refused)"); throw new DittoFsError("unauthorized", 401, "PUT", "x", "HTTP 401"); }) };
  s.calls.length = 0;
  const stopped = await syncSnapshotPolicies(flaky, { token: "t0k", desired: [{ share: "/export", interval: "3h" }, { share: "/archive", interval: "3h" }], record, now: 2 });
  assert.deepEqual(s.calls, ["list", "put (refused)"]);
  assert.equal((stopped.error as DittoFsError).kind, "unauthorized");
  assert.deepEqual(stopped.record, applied.record, "earlier Applied entries stay ours");
});

test("retry state: due when absent, when the body changed, or when its time came; rejected values wait 10 minutes", () => {
  const body: SnapshotPolicyBody = { interval: "1h" };
  const none: PolicyRetries = {};
  assert.equal(retryPending(none, "/a", body, 0), undefined);
  const first = afterRefusal(undefined, { result: "shareNotFound", message: "404" }, body, 0, () => 0);
  assert.equal(first.backoff.retryAt, POLICY_RETRY.initialMs);
  const second = afterRefusal(first, { result: "shareNotFound", message: "404" }, body, 30_000, () => 0);
  assert.equal(second.backoff.retryAt, 30_000 + 2 * POLICY_RETRY.initialMs);
  assert.ok(retryPending({ "/a": second }, "/a", body, 89_999));
  assert.equal(retryPending({ "/a": second }, "/a", body, 90_000), undefined);
  assert.equal(retryPending({ "/a": second }, "/a", { interval: "2h" }, 31_000), undefined, "a changed spec is tried at once");
  const rejected = afterRefusal(undefined, { result: "rejected", message: "ttl" }, body, 0);
  assert.equal(rejected.backoff.retryAt, POLICY_RETRY.terminalRetryMs);
});

test("SnapshotPoliciesReady: absent without policies; True when all applied; False naming what is missing, refused, pending or leaving", () => {
  assert.equal(snapshotPolicyCondition([], []), undefined);
  const applied: SnapshotPolicyStatus[] = [{ share: "/archive", state: "Applied" }, { share: "/export", state: "Applied" }];
  assert.deepEqual(snapshotPolicyCondition(spec, applied), { ok: true, reason: "SnapshotPoliciesApplied", message: "snapshot policies applied for share /export, /archive" });
  const missing = snapshotPolicyCondition(spec, [applied[1]!, { share: "/archive", state: "ShareNotFound", message: "404" }]);
  assert.deepEqual([missing?.ok, missing?.reason], [false, "ShareNotFound"]);
  assert.match(missing?.message ?? "", /\/archive/);
  assert.equal(snapshotPolicyCondition(spec, [applied[1]!, { share: "/archive", state: "Rejected", message: "ttl" }])?.reason, "SnapshotPolicyRejected");
  const unsynced = snapshotPolicyCondition(spec, []);
  assert.deepEqual([unsynced?.ok, unsynced?.reason, unsynced?.message], [false, "SnapshotPolicyPending", "snapshot policy for share /export, /archive not applied yet"]);
  const leaving = snapshotPolicyCondition([], [{ share: "/old", state: "Applied" }]);
  assert.deepEqual([leaving?.ok, leaving?.reason], [false, "SnapshotPolicyPending"]);
  assert.match(leaving?.message ?? "", /\/old left the spec/);
});
