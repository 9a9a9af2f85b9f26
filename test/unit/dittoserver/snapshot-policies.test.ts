import { test } from "node:test";
import assert from "node:assert/strict";
import type { SnapshotPolicyStatus } from "../../../src/api/types.ts";
import type { SnapshotPolicy } from "../../../src/dittofs/wire.ts";
import { nextPolicyRecord, normalizeShare, planSnapshotPolicies, policyBody, policyMatches, policyProblems } from "../../../src/dittoserver/snapshot-policies.ts";

function onServer(share: string, changes: Partial<SnapshotPolicy> = {}): SnapshotPolicy {
  return { share, interval: "24h0m0s", keepLast: 7, ttl: "", enabled: true, namePrefix: "", ...changes };
}

test("share names are normalised as the server does", () => {
  assert.equal(normalizeShare("export"), "/export");
  assert.equal(normalizeShare("//export"), "/export");
  assert.equal(normalizeShare("/a/b"), "/a/b");
});

test("a PUT body carries every field, defaults included, so it replaces what dfsctl set", () => {
  assert.deepEqual(policyBody({ share: "/x", interval: "@daily" }), { interval: "@daily", keep_last: 0, ttl: "", enabled: true, name_prefix: "" });
  assert.deepEqual(policyBody({ share: "/x", interval: "6h", keepLast: 3, ttl: "720h", enabled: false, namePrefix: "k8s" }), {
    interval: "6h",
    keep_last: 3,
    ttl: "720h",
    enabled: false,
    name_prefix: "k8s",
  });
});

test("values compare as the server means them: shorthands, canonical durations, no-TTL spellings", () => {
  assert.ok(policyMatches({ share: "/a", interval: "@daily", keepLast: 7 }, onServer("/a")));
  assert.ok(policyMatches({ share: "/a", interval: "1440m", keepLast: 7, ttl: "0" }, onServer("/a")));
  assert.ok(policyMatches({ share: "/a", interval: "@DAILY", keepLast: 7, ttl: "720h" }, onServer("/a", { ttl: "720h0m0s" })));
  assert.ok(!policyMatches({ share: "/a", interval: "@hourly", keepLast: 7 }, onServer("/a")));
  assert.ok(!policyMatches({ share: "/a", interval: "@daily", keepLast: 6 }, onServer("/a")));
  assert.ok(!policyMatches({ share: "/a", interval: "@daily", keepLast: 7, enabled: false }, onServer("/a")));
  assert.ok(!policyMatches({ share: "/a", interval: "@daily", keepLast: 7, namePrefix: "k8s" }, onServer("/a")));
  assert.ok(!policyMatches({ share: "/a", interval: "@daily", keepLast: 7, ttl: "1h" }, onServer("/a")));
});

test("plan: missing and drifted policies are PUT, matching ones left alone", () => {
  const plan = planSnapshotPolicies(
    [{ share: "/a", interval: "@daily", keepLast: 7 }, { share: "b", interval: "1h" }, { share: "/c", interval: "1h" }],
    [onServer("/a"), onServer("/b", { interval: "2h0m0s", keepLast: 0 })],
    [],
  );
  assert.deepEqual(plan.inSync, ["/a"]);
  assert.deepEqual(plan.put.map((p) => p.share), ["/b", "/c"]);
  assert.deepEqual(plan.remove, []);
});

test("plan: only policies the operator applied are removed when they leave the spec", () => {
  const record: SnapshotPolicyStatus[] = [
    { share: "/ours", state: "Applied" },
    { share: "/gone-already", state: "Applied" },
    { share: "/never-applied", state: "ShareNotFound", message: "x" },
  ];
  const plan = planSnapshotPolicies([], [onServer("/ours"), onServer("/dfsctl-made"), onServer("/never-applied")], record);
  assert.deepEqual(plan.remove, ["/ours"], "not the dfsctl one, not one that was never ours, nothing for one already gone");
  assert.deepEqual(plan.put, []);
});

test("record: outcomes become states; a failed removal stays recorded so it is retried", () => {
  const previous: SnapshotPolicyStatus[] = [{ share: "/old", state: "Applied" }, { share: "/b", state: "Applied" }];
  const plan = {
    put: [
      { share: "/b", body: policyBody({ share: "/b", interval: "1h" }) },
      { share: "/c", body: policyBody({ share: "/c", interval: "1h" }) },
      { share: "/d", body: policyBody({ share: "/d", interval: "1h" }) },
      { share: "/e", body: policyBody({ share: "/e", interval: "1h" }) },
    ],
    remove: ["/old"],
    inSync: ["/a"],
  };
  const record = nextPolicyRecord(
    plan,
    [
      { share: "/b", op: "put", result: "failed", message: "HTTP 503" },
      { share: "/c", op: "put", result: "ok" },
      { share: "/d", op: "put", result: "shareNotFound", message: "share /d not found" },
      { share: "/e", op: "put", result: "rejected", message: "invalid ttl" },
      { share: "/old", op: "remove", result: "failed", message: "HTTP 503" },
    ],
    previous,
  );
  assert.deepEqual(record, [
    { share: "/a", state: "Applied" },
    { share: "/b", state: "Applied" },
    { share: "/c", state: "Applied" },
    { share: "/d", state: "ShareNotFound", message: "share /d not found" },
    { share: "/e", state: "Rejected", message: "invalid ttl" },
    { share: "/old", state: "Applied" },
  ]);
  assert.deepEqual(nextPolicyRecord({ put: [], remove: ["/old"], inSync: [] }, [{ share: "/old", op: "remove", result: "ok" }], previous), []);
});

test("problems name the shares: a missing share first", () => {
  assert.equal(policyProblems([{ share: "/a", state: "Applied" }]), undefined);
  assert.deepEqual(policyProblems([{ share: "/a", state: "Rejected", message: "bad" }, { share: "/x", state: "ShareNotFound" }]), {
    reason: "ShareNotFound",
    message: "snapshot policy for share /x: the share does not exist on the server",
  });
  assert.equal(policyProblems([{ share: "/a", state: "Rejected", message: "invalid ttl" }])?.reason, "SnapshotPolicyRejected");
});
