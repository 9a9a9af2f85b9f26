/**
 * The store calls of the operator on the real dfs v0.29.0 (memory stores: the lab's server has no volumes): list,
 * create, correct (PUT), delete, the shares' store ids, and the answers the store sync classifies (409 for a taken
 * name, the server's refusal to delete a store a share uses).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { StoreStatus } from "../../src/api/types.ts";
import { ensureAccount } from "../../src/dittofs/account.ts";
import { syncStores } from "../../src/dittoserver/store-sync.ts";
import type { DesiredStore } from "../../src/dittoserver/stores.ts";
import { storeBody, storesInUse } from "../../src/dittoserver/stores.ts";
import { openLab, rejected } from "./dittofs-lab.ts";
import type { Booted, Lab } from "./dittofs-lab.ts";

const meta: DesiredStore = { kind: "metadata", name: "meta", type: "memory", config: {} };
const blocks: DesiredStore = { kind: "block", name: "blocks", type: "memory", config: {} };

describe("stores through the DittoFS API of dfs v0.29.0", () => {
  let lab: Lab;
  let s: Booted;
  let token = "";
  let record: StoreStatus[] = [];
  before(async () => {
    lab = await openLab("stores", []);
    s = await lab.boot("stores");
    const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "stores-password" });
    assert.equal(result.kind, "authenticated", JSON.stringify(result));
    token = result.kind === "authenticated" ? result.token : "";
  });
  after(async () => {
    await lab?.close();
  });

  async function sync(desired: DesiredStore[]): Promise<string[]> {
    const result = await syncStores(s.client, { token, desired, record, now: Date.now() });
    if (result.error) throw result.error;
    record = result.record;
    return result.answered.map((o) => `${o.op} ${o.kind}/${o.name} ${o.result}`);
  }

  it("creates the stores, visible to dfsctl; in sync nothing to write", async () => {
    assert.deepEqual(await sync([meta, blocks]), ["create metadata/meta ok", "create block/blocks ok"]);
    assert.match(await s.dfsctl("store", "metadata", "list"), /meta/);
    assert.match(await s.dfsctl("store", "block", "local", "list"), /blocks/);
    assert.deepEqual(await sync([meta, blocks]), []);
    assert.deepEqual(record.filter((e) => e.state !== "Unmanaged").map((e) => `${e.kind}/${e.name}:${e.state}`), ["block/blocks:Created", "metadata/meta:Created"]);
  });

  it("a taken name answers 409 (conflict); a PUT corrects a store", async () => {
    assert.equal((await rejected(s.client.createStore(token, "metadata", storeBody(meta)))).kind, "conflict");
    const corrected = await s.client.updateStore(token, "block", storeBody(blocks));
    assert.deepEqual([corrected.name, corrected.type], ["blocks", "memory"]);
  });

  it("shares name their stores by the ids the lists carry; a store in use stays when it leaves the spec, then goes", async () => {
    await s.dfsctl("share", "create", "--name", "/export", "--metadata", "meta", "--local", "blocks");
    const shares = await s.client.listShareStores(token);
    const observed = { metadata: await s.client.listStores(token, "metadata"), block: await s.client.listStores(token, "block"), remote: [] };
    assert.deepEqual([...storesInUse(observed, shares)].sort(), ["block/blocks", "metadata/meta"]);
    assert.deepEqual(await sync([blocks]), [], "meta is used by /export: not deleted");
    assert.equal(record.find((e) => e.name === "meta")?.state, "InUse");
    await s.dfsctl("share", "remove", "/export", "--force");
    assert.deepEqual(await sync([blocks]), ["remove metadata/meta ok"]);
    assert.ok(!(await s.client.listStores(token, "metadata")).some((m) => m.name === "meta"));
  });
});
