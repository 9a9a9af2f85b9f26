import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoServer, StoreStatus } from "../../../src/api/types.ts";
import type { Store } from "../../../src/dittofs/wire.ts";
import { VOLUME_LAYOUT_ANNOTATION } from "../../../src/dittoserver/names.ts";
import { REASON } from "../../../src/dittoserver/reasons.ts";
import { desiredStores, nextStoreRecord, planStores, storeBody, storesCondition, storesInUse } from "../../../src/dittoserver/stores.ts";
import type { DesiredStore, ObservedStores } from "../../../src/dittoserver/stores.ts";

function server(stores: DittoServer["spec"]["stores"], annotations: Record<string, string> = {}): Pick<DittoServer, "metadata" | "spec"> {
  return { metadata: { name: "files", annotations }, spec: { stores } as DittoServer["spec"] };
}

const badger: DesiredStore = { kind: "metadata", name: "meta", type: "badger", config: { path: "/data/metadata/stores/meta" } };
const local: DesiredStore = { kind: "block", name: "blocks", type: "fs", config: { path: "/data/content/stores/blocks" } };
const observed = (metadata: Store[] = [], block: Store[] = [], remote: Store[] = []): ObservedStores => ({ metadata, block, remote });
const asOnServer = (d: DesiredStore, config: Record<string, unknown> = d.config): Store => ({ id: `id-${d.name}`, name: d.name, type: d.type, config });
const created = (d: DesiredStore): StoreStatus => ({ kind: d.kind, name: d.name, type: d.type, state: "Created" });

test("paths are derived from the volume layout, never typed by the user", () => {
  const stores = { metadata: [{ name: "meta", type: "badger" as const }, { name: "m2", type: "memory" as const }], block: [{ name: "blocks", type: "local" as const }, { name: "b2", type: "memory" as const }] };
  assert.deepEqual(desiredStores(server(stores)), [badger, { kind: "metadata", name: "m2", type: "memory", config: {} }, local, { kind: "block", name: "b2", type: "memory", config: {} }]);
  const reference = desiredStores(server(stores, { [VOLUME_LAYOUT_ANNOTATION]: "reference" }));
  assert.deepEqual(reference[0]?.config, { path: "/data/store/metadata/stores/meta" });
  assert.deepEqual(reference[2]?.config, { path: "/data/store/block/stores/blocks" });
  assert.deepEqual(desiredStores(server(undefined)), []);
});

test("the body carries the config as a JSON string, as the API takes it", () => {
  assert.deepEqual(storeBody(badger), { name: "meta", type: "badger", config: '{"path":"/data/metadata/stores/meta"}' });
});

test("missing stores are created; in sync stores cost no call", () => {
  const plan = planStores([badger, local], observed([], []), [], new Set());
  assert.deepEqual(plan.create, [badger, local]);
  const again = planStores([badger, local], observed([asOnServer(badger)], [asOnServer(local)]), [created(badger), created(local)], new Set());
  assert.deepEqual([again.create, again.update, again.remove], [[], [], []]);
  assert.deepEqual(again.settled, [created(badger), created(local)]);
});

test("a store the operator created that was changed with dfsctl is corrected", () => {
  const plan = planStores([badger], observed([asOnServer(badger, { path: "/tmp/x" })]), [created(badger)], new Set());
  assert.deepEqual(plan.update, [badger]);
  const retyped = planStores([badger], observed([{ id: "id-meta", name: "meta", type: "memory", config: {} }]), [created(badger)], new Set());
  assert.deepEqual(retyped.update, [badger]);
});

test("a store of a specified name made with dfsctl is adopted only if it is exactly the operator's, else a conflict left alone", () => {
  const same = planStores([badger], observed([asOnServer(badger, { ...badger.config, extra: 1 })]), [], new Set());
  assert.deepEqual(same.settled, [created(badger)]);
  const other = planStores([badger], observed([asOnServer(badger, { path: "/srv/meta" })]), [], new Set());
  assert.deepEqual([other.create, other.update], [[], []]);
  assert.equal(other.settled[0]?.state, "Conflict");
});

test("stores made with dfsctl and not in the spec are reported as unmanaged, never removed", () => {
  const plan = planStores([], observed([{ id: "id-default", name: "default", type: "memory", config: {} }]), [], new Set());
  assert.deepEqual(plan.remove, []);
  assert.deepEqual(plan.settled, [{ kind: "metadata", name: "default", type: "memory", state: "Unmanaged" }]);
});

test("a store the operator created that left the spec is removed, unless a share uses it", () => {
  const free = planStores([], observed([asOnServer(badger)], [asOnServer(local)]), [created(badger), created(local)], new Set());
  assert.deepEqual(free.remove, [{ kind: "metadata", name: "meta", type: "badger" }, { kind: "block", name: "blocks", type: "fs" }]);
  const used = planStores([], observed([asOnServer(badger)]), [created(badger)], new Set(["metadata/meta"]));
  assert.deepEqual(used.remove, []);
  assert.equal(used.settled[0]?.state, "InUse");
  const gone = planStores([], observed(), [created(badger)], new Set());
  assert.deepEqual([gone.remove, gone.settled], [[], []]);
});

test("the record follows the answers: created, refused, not answered, removal pending", () => {
  const plan = planStores([badger, local], observed([], []), [], new Set());
  assert.deepEqual(nextStoreRecord(plan, [{ kind: "metadata", name: "meta", op: "create", result: "ok" }, { kind: "block", name: "blocks", op: "create", result: "rejected", message: "bad path" }]), [
    { kind: "block", name: "blocks", type: "fs", state: "Rejected", message: "bad path" },
    created(badger),
  ]);
  assert.equal(nextStoreRecord(plan, [])[0]?.state, "Pending");
  const removal = planStores([], observed([asOnServer(badger)]), [created(badger)], new Set());
  assert.deepEqual(nextStoreRecord(removal, []), [{ ...created(badger), message: "left the spec; not removed yet" }], "still ours: removed later");
  assert.deepEqual(nextStoreRecord(removal, [{ kind: "metadata", name: "meta", op: "remove", result: "ok" }]), []);
});

test("a pending or refused store stays the operator's: its next pass corrects it rather than calling it a conflict", () => {
  const pending: StoreStatus = { ...created(badger), state: "Pending" };
  const plan = planStores([badger], observed([asOnServer(badger, { path: "/tmp/x" })]), [pending], new Set());
  assert.deepEqual(plan.update, [badger]);
});

test("StoresReady: absent without stores, True when all are created, False naming the problem store", () => {
  assert.equal(storesCondition([], []), undefined);
  assert.equal(storesCondition([], [{ kind: "metadata", name: "default", type: "memory", state: "Unmanaged" }]), undefined);
  assert.deepEqual(storesCondition([badger], [created(badger)])?.reason, REASON.StoresCreated);
  assert.equal(storesCondition([badger], [created(badger)])?.ok, true);
  const conflict = storesCondition([badger], [{ ...created(badger), state: "Conflict", message: "x" }]);
  assert.equal(conflict?.reason, REASON.StoreConflict);
  assert.match(conflict?.message ?? "", /metadata store meta/);
  assert.equal(storesCondition([badger], [{ ...created(badger), state: "Rejected", message: "no" }])?.reason, REASON.StoreRejected);
  assert.equal(storesCondition([badger], [])?.reason, REASON.StorePending);
  assert.equal(storesCondition([], [created(badger)])?.reason, REASON.StorePending, "left the spec, not removed yet");
});

test("stores in use are found through the ids the shares name", () => {
  const stores = observed([asOnServer(badger)], [asOnServer(local), { id: "id-free", name: "free", type: "memory", config: {} }]);
  const used = storesInUse(stores, [{ name: "/export", metadataStoreId: "id-meta", localBlockStoreId: "id-blocks" }]);
  assert.deepEqual([...used].sort(), ["block/blocks", "metadata/meta"]);
});
