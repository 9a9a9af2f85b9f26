/**
 * The store sync step against a scripted API: the calls it makes, what it records when the server refuses a store,
 * and that a failure of the API stops it with the record reflecting only the answered calls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { StoreStatus } from "../../../src/api/types.ts";
import type { StoreKindPath } from "../../../src/dittofs/client.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { ShareStores, Store, StoreBody } from "../../../src/dittofs/wire.ts";
import { syncStores } from "../../../src/dittoserver/store-sync.ts";
import type { StoreApi } from "../../../src/dittoserver/store-sync.ts";
import type { DesiredStore } from "../../../src/dittoserver/stores.ts";

const meta: DesiredStore = { kind: "metadata", name: "meta", type: "badger", config: { path: "/data/metadata/stores/meta" } };
const blocks: DesiredStore = { kind: "block", name: "blocks", type: "fs", config: { path: "/data/content/stores/blocks" } };
const created = (d: DesiredStore): StoreStatus => ({ kind: d.kind, name: d.name, type: d.type, state: "Created" });

/** The promise of an answer computed now; a throw becomes a rejection, as from the real client. */
function answer<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(fn());
  });
}

/** A server holding stores, recording every call; `refuse` names stores it answers 400 for, `down` fails every call. */
function fakeServer(options: { refuse?: string[]; shares?: ShareStores[] } = {}) {
  const calls: string[] = [];
  const held: Record<StoreKindPath, Map<string, Store>> = { metadata: new Map(), block: new Map(), remote: new Map() };
  const state = { down: false };
  const check = (method: string, what: string) => {
    calls.push(`${method} ${what}`);
    if (state.down) throw new DittoFsError("transient", 0, method, what, `DittoFS API ${method} ${what}: connect ECONNREFUSED`);
  };
  const put = (kind: StoreKindPath, body: StoreBody, method: string): Store => {
    check(method, `${kind}/${body.name}`);
    if (options.refuse?.includes(body.name)) throw new DittoFsError("rejected", 400, method, body.name, `DittoFS API ${method}: HTTP 400: cannot open ${body.name}`);
    const store = { id: `id-${body.name}`, name: body.name, type: body.type, config: JSON.parse(body.config) as Record<string, unknown> };
    held[kind].set(body.name, store);
    return store;
  };
  const api: StoreApi = {
    listStores: (_t, kind) => answer(() => (check("GET", kind), [...held[kind].values()])),
    createStore: (_t, kind, body) => answer(() => put(kind, body, "POST")),
    updateStore: (_t, kind, body) => answer(() => put(kind, body, "PUT")),
    deleteStore: (_t, kind, name) =>
      answer(() => {
        check("DELETE", `${kind}/${name}`);
        if (!held[kind].delete(name)) throw new DittoFsError("notFound", 404, "DELETE", name, "HTTP 404");
      }),
    listShareStores: () => answer(() => (check("GET", "shares"), options.shares ?? [])),
  };
  return { api, calls, held, state };
}

test("missing stores are created; the next sync is three lists and no write", async () => {
  const server = fakeServer();
  const first = await syncStores(server.api, { token: "t", now: 0, desired: [meta, blocks], record: [] });
  assert.deepEqual(server.calls, ["GET metadata", "GET block", "GET remote", "POST metadata/meta", "POST block/blocks"]);
  assert.deepEqual(first.record, [created(blocks), created(meta)]);
  server.calls.length = 0;
  const again = await syncStores(server.api, { token: "t", now: 0, desired: [meta, blocks], record: first.record });
  assert.deepEqual(server.calls, ["GET metadata", "GET block", "GET remote"]);
  assert.deepEqual([again.answered, again.record], [[], first.record]);
});

test("a refused store is recorded with the server's words; the others are still created", async () => {
  const server = fakeServer({ refuse: ["meta"] });
  const result = await syncStores(server.api, { token: "t", now: 0, desired: [meta, blocks], record: [] });
  assert.equal(result.error, undefined);
  assert.deepEqual(result.record.map((e) => `${e.name}:${e.state}`), ["blocks:Created", "meta:Rejected"]);
  assert.match(result.record.find((e) => e.name === "meta")?.message ?? "", /cannot open meta/);
});

test("a failure of the API stops the step and is returned; the record keeps what was answered", async () => {
  const server = fakeServer();
  server.state.down = true;
  const listFailed = await syncStores(server.api, { token: "t", now: 0, desired: [meta], record: [created(blocks)] });
  assert.ok(listFailed.error);
  assert.deepEqual(listFailed.record, [created(blocks)]);
});

test("shares are read only when a store of ours left the spec; one in use is kept, a free one removed", async () => {
  const used = fakeServer({ shares: [{ name: "/export", metadataStoreId: "id-meta", localBlockStoreId: "" }] });
  await syncStores(used.api, { token: "t", now: 0, desired: [meta], record: [] });
  assert.ok(!used.calls.includes("GET shares"));
  used.calls.length = 0;
  const kept = await syncStores(used.api, { token: "t", now: 0, desired: [], record: [created(meta)] });
  assert.deepEqual(used.calls, ["GET metadata", "GET block", "GET remote", "GET shares"]);
  assert.equal(kept.record[0]?.state, "InUse");
  const free = fakeServer();
  await syncStores(free.api, { token: "t", now: 0, desired: [meta], record: [] });
  const removed = await syncStores(free.api, { token: "t", now: 0, desired: [], record: [created(meta)] });
  assert.ok(free.calls.includes("DELETE metadata/meta"));
  assert.deepEqual(removed.record, []);
});
