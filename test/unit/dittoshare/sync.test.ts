/** The DittoShare steps against a fake server: what they call, record and report. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DittoShare } from "../../../src/api/schema/dittoshare.ts";
import type { DittoServer } from "../../../src/api/types.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import { deleteShare, syncShare } from "../../../src/dittoshare/sync.ts";
import type { SyncResult } from "../../../src/serverbound/kind.ts";
import { server } from "../dittoserver/fixtures.ts";
import { dittoShare, FakeShares } from "./fixtures.ts";

const signal = new AbortController().signal;

async function run(fake: FakeShares, share: DittoShare, ds: DittoServer = server()) {
  const records: Record<string, unknown>[] = [];
  const result = await syncShare(fake, { share, server: ds, token: "tok", record: (f) => (records.push({ ...f }), Promise.resolve()), signal });
  return { result, records };
}

/** The object as the next pass reads it: the status the framework wrote from the result. */
const after = (share: DittoShare, result: SyncResult): DittoShare => ({ ...share, status: JSON.parse(JSON.stringify(result.fields)) as DittoShare["status"] });
const verdicts = (r: SyncResult) => ("error" in r ? ["error"] : [r.ready?.reason ?? r.synced.reason, r.synced.reason]);

describe("syncShare: creation and ownership", () => {
  it("creates the share, recording Creating before the call and the id after; the next pass only reads it", async () => {
    const fake = new FakeShares();
    const share = dittoShare();
    const { result, records } = await run(fake, share);
    assert.deepEqual(fake.calls, ["getShare /export", "listStores metadata", "listStores block", "createShare /export"]);
    assert.deepEqual(records, [{ server: "fs1", shareName: "/export", ownership: "Creating", shareID: undefined, permissions: undefined, snapshotPolicy: undefined }]);
    assert.deepEqual(result.fields, { server: "fs1", shareName: "/export", ownership: "Created", shareID: "id-1", permissions: undefined, snapshotPolicy: undefined });
    assert.deepEqual(verdicts(result), ["ShareReady", "InSync"]);
    assert.deepEqual(result.events?.map((e) => e.reason), ["ShareCreated"]);

    fake.calls = [];
    const again = await run(fake, after(share, result));
    assert.deepEqual(fake.calls, ["getShare /export"], "in sync: one GET, no write");
    assert.deepEqual(again.result.events, []);
    assert.deepEqual(again.result.fields, result.fields);
  });

  it("a store the server does not have: StoreNotFound, nothing created", async () => {
    const fake = new FakeShares();
    const { result } = await run(fake, dittoShare({ localBlockStore: "nope" }));
    assert.deepEqual(verdicts(result), ["StoreNotFound", "StoreNotFound"]);
    assert.ok(!("error" in result) && /local block store nope/.test(result.synced.message));
    assert.deepEqual(fake.writes(), []);
  });

  it("a share made with dfsctl: ShareUnmanaged naming the annotation, untouched, nothing recorded", async () => {
    const fake = new FakeShares();
    fake.make("/export", { readOnly: true });
    const { result } = await run(fake, dittoShare());
    assert.deepEqual(verdicts(result), ["ShareUnmanaged", "ShareUnmanaged"]);
    assert.ok(!("error" in result) && result.synced.message.includes('dittofs.dittofs.com/adopt: "true"'));
    assert.deepEqual(result.fields, { server: "fs1", shareName: "/export" });
    assert.deepEqual(fake.writes(), []);
  });

  it("adopted with the annotation: recorded as Adopted, then set to the spec", async () => {
    const fake = new FakeShares();
    fake.make("/export", { readOnly: true });
    const { result } = await run(fake, dittoShare({}, { annotations: { "dittofs.dittofs.com/adopt": "true" } }));
    assert.equal(result.fields.ownership, "Adopted");
    assert.equal(result.fields.shareID, "id-1");
    assert.deepEqual(result.events?.map((e) => e.reason), ["ShareAdopted", "ShareUpdated"]);
    assert.equal(fake.shares.get("/export")?.readOnly, false);
  });

  it("a crash between the create and the status write: the next pass claims the share instead of creating it", async () => {
    const fake = new FakeShares();
    fake.make("/export");
    const { result } = await run(fake, dittoShare({}, {}, { shareName: "/export", ownership: "Creating" }));
    assert.deepEqual(result.fields.ownership, "Created");
    assert.ok(!fake.calls.some((c) => c.startsWith("createShare")));
  });

  it("a share deleted with dfsctl is created again (the spec says it exists)", async () => {
    const fake = new FakeShares();
    const { result } = await run(fake, dittoShare({}, {}, { shareName: "/export", ownership: "Created", shareID: "id-old" }));
    assert.ok(fake.calls.includes("createShare /export"));
    assert.equal(result.fields.shareID, "id-1");
  });
});

describe("syncShare: managed fields, grants, policy", () => {
  const created = { server: "fs1", shareName: "/export", ownership: "Created" as const, shareID: "id-1" };

  it("drift of read-only, default permission, enabled and squash is set back, in one event", async () => {
    const fake = new FakeShares();
    fake.make("/export", { readOnly: true, defaultPermission: "admin", enabled: false, squash: "none" });
    const { result } = await run(fake, dittoShare({ squash: "root_to_guest" }, {}, created));
    assert.deepEqual(fake.writes(), ['updateShare /export {"read_only":false,"default_permission":"none"}', "setShareEnabled /export true", "setSquash /export root_to_guest"]);
    assert.deepEqual(result.events?.map((e) => e.reason), ["ShareUpdated"]);
    assert.match(result.events?.[0]?.message ?? "", /read_only=false.*enabled.*squash=root_to_guest/);
  });

  it("grants: sets the spec's, records only what it set, reports a missing user, never touches dfsctl's", async () => {
    const fake = new FakeShares();
    const s = fake.make("/export");
    s.grants.push({ type: "user", name: "carol", level: "admin" }, { type: "user", name: "bob", level: "read" });
    const spec = { permissions: { users: [{ name: "alice", level: "read-write" as const }, { name: "bob", level: "read" as const }, { name: "zoe", level: "read" as const }], groups: [{ name: "staff", level: "read" as const }] } };
    const { result } = await run(fake, dittoShare(spec, {}, created));
    assert.deepEqual(verdicts(result), ["ShareReady", "PrincipalNotFound"]);
    assert.ok(!("error" in result) && /user zoe/.test(result.synced.message));
    assert.deepEqual(result.fields.permissions, { users: [{ name: "alice", level: "read-write" }], groups: [{ name: "staff", level: "read" }] }, "bob was already there: not recorded");

    fake.calls = [];
    const later = await run(fake, dittoShare({ permissions: { users: [] } }, {}, after(dittoShare(), result).status));
    assert.deepEqual(fake.writes(), ["removeGrant /export user alice", "removeGrant /export group staff"]);
    assert.deepEqual(fake.shares.get("/export")?.grants.map((g) => g.name).sort(), ["bob", "carol"]);
    assert.equal(later.result.fields.permissions, undefined);
  });

  it("a snapshot policy is put, kept and removed when it leaves the spec", async () => {
    const fake = new FakeShares();
    fake.make("/export");
    const first = await run(fake, dittoShare({ snapshotPolicy: { interval: "24h", keepLast: 7 } }, {}, created));
    assert.deepEqual(fake.writes(), ["putSnapshotPolicy /export"]);
    assert.deepEqual(first.result.fields.snapshotPolicy, { interval: "24h", keepLast: 7 });
    fake.calls = [];
    await run(fake, dittoShare({ snapshotPolicy: { interval: "24h", keepLast: 7 } }, {}, after(dittoShare(), first.result).status));
    assert.deepEqual(fake.writes(), [], "in sync");
    await run(fake, dittoShare({}, {}, after(dittoShare(), first.result).status));
    assert.deepEqual(fake.writes(), ["deleteSnapshotPolicy /export"]);
  });

  it("the DittoServer's policy for the share wins: SnapshotPolicyConflict naming it, no policy call", async () => {
    const fake = new FakeShares();
    fake.make("/export");
    const { result } = await run(fake, dittoShare({ snapshotPolicy: { interval: "1h" } }, {}, created), server({ snapshotPolicies: [{ share: "/export", interval: "24h" }] }));
    assert.deepEqual(verdicts(result), ["ShareReady", "SnapshotPolicyConflict"]);
    assert.ok(!("error" in result) && /fs1 spec.snapshotPolicies has a policy for share \/export/.test(result.synced.message));
    assert.ok(!fake.calls.some((c) => c.includes("SnapshotPolicy")));
  });

  it("a failure midway returns the error with what was done recorded", async () => {
    const fake = new FakeShares();
    fake.failNext = { prefix: "setGrant", error: new DittoFsError("transient", 503, "PUT", "/api/v1/shares", "HTTP 503") };
    const { result } = await run(fake, dittoShare({ permissions: { users: [{ name: "alice", level: "read" }] } }));
    assert.ok("error" in result);
    assert.equal(result.fields.ownership, "Created", "the share was created before the failure");
  });
});

describe("deleteShare", () => {
  it("deletes the recorded share; leaves another one with a Warning; nothing to do when it is gone", async () => {
    const fake = new FakeShares();
    fake.make("/export");
    const status = { shareName: "/export", ownership: "Created" as const, shareID: "id-1" };
    const ours = await deleteShare(fake, { share: dittoShare({ reclaimPolicy: "Delete" }, {}, status), server: server(), token: "t", signal });
    assert.deepEqual(ours, { done: true, events: [{ type: "Normal", reason: "ShareDeleted", action: "Delete", message: "deleted share /export (id id-1) from DittoServer fs1 (reclaimPolicy Delete)" }] });
    assert.equal(fake.shares.size, 0);

    fake.make("/export");
    const other = await deleteShare(fake, { share: dittoShare({ reclaimPolicy: "Delete" }, {}, status), server: server(), token: "t", signal });
    assert.ok(other.done && other.events?.[0]?.reason === "ShareNotDeleted");
    assert.equal(fake.shares.size, 1);

    const gone = await deleteShare(new FakeShares(), { share: dittoShare({ reclaimPolicy: "Delete" }, {}, status), server: server(), token: "t", signal });
    assert.deepEqual(gone, { done: true });
  });
});
