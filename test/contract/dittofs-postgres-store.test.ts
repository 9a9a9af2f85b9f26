/**
 * A PostgreSQL metadata store through the store sync on the real dfs v0.29.0 and a real PostgreSQL server
 * (hack/postgres.sh, TLS): its connection comes from Secret data; the server connects and migrates its schema on
 * create; in sync nothing is written; a changed password is one PUT (the server stores it; the password is masked
 * on every read); a wrong password is refused by the server at create, recorded without the password.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DittoServer, StoreStatus } from "../../src/api/types.ts";
import { ensureAccount } from "../../src/dittofs/account.ts";
import { syncStores } from "../../src/dittoserver/store-sync.ts";
import type { StoreMemory } from "../../src/dittoserver/store-sync.ts";
import { desiredStores } from "../../src/dittoserver/stores.ts";
import { openLab } from "./dittofs-lab.ts";
import type { Booted, Lab } from "./dittofs-lab.ts";
import { startPostgres } from "./postgres.ts";
import type { Database, PostgresServer } from "./postgres.ts";

const KEYS = { host: "host", port: "port", database: "database", user: "user", password: "password", sslmode: "sslmode" };

function server(stores: { name: string; secret: string }[]): DittoServer {
  const metadata = stores.map((s) => ({ name: s.name, type: "postgres", postgres: { connectionSecretRef: { name: s.secret, keys: KEYS } } }));
  return { metadata: { name: "pg", namespace: "ns" }, spec: { stores: { metadata } } } as unknown as DittoServer;
}

const secretOf = (db: Database, password = db.password): Record<string, string> => ({ host: db.host, port: String(db.port), database: db.name, user: db.user, password, sslmode: "require" });

interface ListedStore {
  name: string;
  type: string;
  config?: { host?: string; database?: string; password?: string };
}

describe("a PostgreSQL metadata store through the DittoFS API of dfs v0.29.0", () => {
  let lab: Lab;
  let s: Booted;
  let pg: PostgresServer;
  let db: Database;
  let token = "";
  let record: StoreStatus[] = [];
  let memory: StoreMemory | undefined;
  const secrets = new Map<string, Record<string, string>>();

  before(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase("meta_store");
    secrets.set("pg-meta", secretOf(db));
    lab = await openLab("pgstore", []);
    s = await lab.boot("pgstore");
    const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "pgstore-password" });
    assert.equal(result.kind, "authenticated", JSON.stringify(result));
    token = result.kind === "authenticated" ? result.token : "";
  });
  after(async () => {
    await lab?.close();
    await pg?.stop();
  });

  async function sync(stores: { name: string; secret: string }[]): Promise<string[]> {
    const desired = desiredStores(server(stores), (name) => secrets.get(name));
    const result = await syncStores(s.client, { token, desired, record, memory, now: Date.now() });
    if (result.error) throw result.error;
    record = result.record;
    memory = result.memory;
    return result.answered.map((o) => `${o.op} ${o.kind}/${o.name} ${o.result}`);
  }

  it("is created from the Secret's connection: the server migrates its schema into the database", async () => {
    assert.deepEqual(await sync([{ name: "pgmeta", secret: "pg-meta" }]), ["create metadata/pgmeta ok"]);
    assert.deepEqual(record.find((e) => e.name === "pgmeta"), { kind: "metadata", name: "pgmeta", type: "postgres", state: "Created" });
    const listed = (JSON.parse(await s.dfsctl("store", "metadata", "list", "-o", "json")) as ListedStore[]).find((m) => m.name === "pgmeta");
    assert.deepEqual([listed?.type, listed?.config?.host, listed?.config?.database], ["postgres", db.host, db.name]);
    assert.notEqual(listed?.config?.password, db.password, "the server masks the password");
    const tables = Number((await pg.query(db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"))[0]);
    assert.ok(tables > 0, "the server's metadata schema is in the database");
  });

  it("in sync, nothing is written", async () => {
    assert.deepEqual(await sync([{ name: "pgmeta", secret: "pg-meta" }]), []);
  });

  it("a changed password is pushed with one PUT; the stored password is masked on reads", async () => {
    const rotated = `${db.password}-rotated`;
    await pg.query(db, `ALTER ROLE ${db.user} PASSWORD '${rotated}'`);
    secrets.set("pg-meta", secretOf(db, rotated));
    assert.deepEqual(await sync([{ name: "pgmeta", secret: "pg-meta" }]), ["update metadata/pgmeta ok"]);
    assert.deepEqual(await sync([{ name: "pgmeta", secret: "pg-meta" }]), [], "then in sync again");
    const shown = await s.dfsctl("store", "metadata", "list", "-o", "json");
    assert.ok(!shown.includes(rotated), "the password is never shown");
  });

  it("a wrong password is refused by the server at create: Rejected, without the password in the record", async () => {
    const other = await pg.createDatabase("meta_wrong");
    secrets.set("pg-wrong", secretOf(other, "not-the-password"));
    assert.deepEqual(await sync([{ name: "pgmeta", secret: "pg-meta" }, { name: "wrong", secret: "pg-wrong" }]), ["create metadata/wrong rejected"]);
    const entry = record.find((e) => e.name === "wrong");
    assert.equal(entry?.state, "Rejected");
    assert.match(entry?.message ?? "", /HTTP 400/);
    assert.ok(!(entry?.message ?? "").includes("not-the-password"));
    assert.deepEqual(await sync([{ name: "pgmeta", secret: "pg-meta" }, { name: "wrong", secret: "pg-wrong" }]), [], "backs off: no retry at the next poll");
  });
});
