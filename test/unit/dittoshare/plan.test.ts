/** The share plan: name and desired state, ownership, drift of managed fields, grants, snapshot policy. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Share } from "../../../src/dittofs/shares.ts";
import { createBody, deletable, desiredShare, ownership, planGrants, planPolicy, serverPolicyFor, shareUpdates } from "../../../src/dittoshare/plan.ts";
import { server } from "../dittoserver/fixtures.ts";
import { dittoShare } from "./fixtures.ts";

const onServer = (fields: Partial<Share> = {}): Share => ({ id: "id-1", name: "/export", metadataStoreId: "m1", localBlockStoreId: "b1", remoteBlockStoreId: undefined, readOnly: false, enabled: true, defaultPermission: "none", ...fields });

describe("desiredShare", () => {
  it("the share name defaults to /<metadata.name> and gets exactly one leading /", () => {
    assert.equal(desiredShare(dittoShare()).name, "/export");
    assert.equal(desiredShare(dittoShare({ shareName: "data/archive" })).name, "/data/archive");
    assert.equal(desiredShare(dittoShare({ shareName: "/x" })).name, "/x");
  });

  it("the create body names the stores and carries the managed fields", () => {
    const body = createBody(desiredShare(dittoShare({ readOnly: true, defaultPermission: "read", remoteBlockStore: "s3" })));
    assert.deepEqual(body, { name: "/export", metadata_store_id: "meta", local_block_store: "blocks", remote_block_store: "s3", read_only: true, default_permission: "read" });
  });
});

describe("ownership", () => {
  it("absent → create; the recorded id → managed; another id → unmanaged", () => {
    assert.deepEqual(ownership(undefined, {}, false), { kind: "create" });
    assert.equal(ownership(onServer(), { ownership: "Created", shareID: "id-1" }, false).kind, "managed");
    assert.equal(ownership(onServer({ id: "id-2" }), { ownership: "Created", shareID: "id-1" }, false).kind, "unmanaged", "deleted and made again with dfsctl");
    assert.equal(ownership(onServer(), {}, false).kind, "unmanaged");
  });

  it("Creating for the same name: the create went out before a crash, the share is claimed", () => {
    assert.deepEqual(ownership(onServer(), { ownership: "Creating", shareName: "/export" }, false), { kind: "managed", share: onServer(), claim: "Created" });
    assert.equal(ownership(onServer(), { ownership: "Creating", shareName: "/other" }, false).kind, "unmanaged");
  });

  it("the adopt annotation takes over a share made elsewhere", () => {
    assert.deepEqual(ownership(onServer(), {}, true), { kind: "managed", share: onServer(), claim: "Adopted" });
  });

  it("deletable: only the recorded share", () => {
    assert.equal(deletable(onServer(), { ownership: "Created", shareID: "id-1" }), true);
    assert.equal(deletable(onServer(), { ownership: "Adopted", shareID: "id-1" }), true);
    assert.equal(deletable(onServer({ id: "id-9" }), { ownership: "Created", shareID: "id-1" }), false);
    assert.equal(deletable(onServer(), { ownership: "Creating", shareName: "/export" }), true);
    assert.equal(deletable(onServer(), {}), false);
  });
});

describe("shareUpdates", () => {
  const d = desiredShare(dittoShare({ readOnly: true, defaultPermission: "read", enabled: false }));
  it("only the fields that drifted", () => {
    assert.deepEqual(shareUpdates(d, onServer()), { update: { read_only: true, default_permission: "read" }, enable: false });
    assert.deepEqual(shareUpdates(d, onServer({ readOnly: true, defaultPermission: "read", enabled: false })), {});
  });
  it("the server's empty default permission means none", () => {
    assert.deepEqual(shareUpdates(desiredShare(dittoShare()), onServer({ defaultPermission: "" })), {});
  });
});

describe("planGrants", () => {
  const alice = { kind: "user" as const, name: "alice", level: "read-write" };
  it("sets missing or different grants; removes only recorded grants that left the spec", () => {
    const observed = [
      { type: "user", name: "alice", level: "read" },
      { type: "user", name: "carol", level: "admin" },
      { type: "group", name: "staff", level: "read" },
    ];
    const record = [{ kind: "group" as const, name: "staff", level: "read" }];
    assert.deepEqual(planGrants([alice], observed, record), { set: [alice], remove: [{ kind: "group", name: "staff", level: "read" }] });
    assert.deepEqual(planGrants([{ ...alice, level: "read" }], observed, []), { set: [], remove: [] }, "carol (dfsctl) and staff (not recorded) stay");
  });
  it("a user and a group of the same name are different grants", () => {
    assert.deepEqual(planGrants([{ kind: "group", name: "alice", level: "read" }], [{ type: "user", name: "alice", level: "read" }], []).set.length, 1);
  });
});

describe("snapshot policy", () => {
  it("the DittoServer's spec.snapshotPolicies entry for the share wins (names compared normalised)", () => {
    assert.equal(serverPolicyFor(server({ snapshotPolicies: [{ share: "export", interval: "24h" }] }), "/export"), "export");
    assert.equal(serverPolicyFor(server({ snapshotPolicies: [{ share: "/other", interval: "24h" }] }), "/export"), undefined);
  });
  it("put when missing or different, nothing when equal as the server means it, remove only what was applied", () => {
    const observed = { share: "/export", interval: "24h0m0s", keepLast: 7, ttl: "", enabled: true, namePrefix: "" };
    assert.deepEqual(planPolicy("/export", { interval: "24h", keepLast: 7 }, observed, true), { op: "none" });
    assert.deepEqual(planPolicy("/export", { interval: "12h", keepLast: 7 }, observed, true), { op: "put" });
    assert.deepEqual(planPolicy("/export", { interval: "24h" }, undefined, false), { op: "put" });
    assert.deepEqual(planPolicy("/export", undefined, observed, true), { op: "remove" });
    assert.deepEqual(planPolicy("/export", undefined, observed, false), { op: "none" }, "a policy made with dfsctl stays");
  });
});
