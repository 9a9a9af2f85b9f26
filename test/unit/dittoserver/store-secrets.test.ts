/**
 * Stores with settings from a Secret. S3 block stores: the config pushed (with the Secret's key pair), what is
 * compared (never the masked secret key), rotation by fingerprint, the server's probe as Unhealthy, a missing Secret
 * holding back only its store, the refusal back-off of the sync, the push-step trigger on a Secret change.
 * PostgreSQL metadata stores: the connection from the Secret, the password pushed and never compared.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoServer, StoreStatus } from "../../../src/api/types.ts";
import type { StoreKindPath } from "../../../src/dittofs/client.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { Store, StoreBody } from "../../../src/dittofs/wire.ts";
import { STORE_STEP, stepTriggered } from "../../../src/dittoserver/push-steps.ts";
import { REASON } from "../../../src/dittoserver/reasons.ts";
import { referencedSecretNames, referencedSecrets } from "../../../src/dittoserver/secretrefs.ts";
import { syncStores } from "../../../src/dittoserver/store-sync.ts";
import type { StoreApi } from "../../../src/dittoserver/store-sync.ts";
import { desiredStores, nextStoreRecord, planStores, storeBody, storesCondition, storesInUse } from "../../../src/dittoserver/stores.ts";
import type { DesiredStore, ObservedStores } from "../../../src/dittoserver/stores.ts";

const S3 = { endpoint: "http://10.0.0.5:7070", bucket: "blocks", region: "eu-west-1", prefix: "fs1/", forcePathStyle: true, allowPrivateEndpoint: true, credentialsSecretRef: { name: "s3", accessKeyIdKey: "id", secretAccessKeyKey: "key" } };

function server(s3: object = S3): DittoServer {
  return { apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", metadata: { name: "files", namespace: "ns" }, spec: { controlPlane: {}, stores: { block: [{ name: "objects", type: "s3", s3 }] } } } as unknown as DittoServer;
}

const secrets = (data: Record<string, Record<string, string>>) => (name: string) => data[name];
const pair = (id: string, key: string) => secrets({ s3: { id, key } });
const [objects] = desiredStores(server(), pair("AK1", "SK1")) as [DesiredStore];
const onServer = (d: DesiredStore, health?: Store["health"]): Store => ({ id: `id-${d.name}`, name: d.name, type: d.type, config: { ...d.config, secret_access_key: "********" }, health });
const remote = (...stores: Store[]): ObservedStores => ({ metadata: [], block: [], remote: stores });
const created = (d: DesiredStore): StoreStatus => ({ kind: d.kind, name: d.name, type: d.type, state: "Created" });

test("an S3 store is a remote store; the API's names carry the spec; the secret key is pushed but never compared", () => {
  assert.deepEqual([objects.kind, objects.type, objects.blocked], ["remote", "s3", undefined]);
  assert.deepEqual(objects.config, { bucket: "blocks", endpoint: "http://10.0.0.5:7070", region: "eu-west-1", prefix: "fs1/", force_path_style: true, allow_private_endpoint: true, access_key_id: "AK1" });
  assert.deepEqual(JSON.parse(storeBody(objects).config), { ...objects.config, secret_access_key: "SK1" });
  assert.ok(!JSON.stringify(objects.config).includes("SK1"), "the compared config holds no secret");
  const minimal = desiredStores(server({ bucket: "b-1", credentialsSecretRef: S3.credentialsSecretRef }), pair("AK1", "SK1"))[0];
  assert.deepEqual(minimal?.config, { bucket: "b-1", access_key_id: "AK1" }, "unset fields are left to the server's defaults");
});

test("a missing Secret or key holds back only its store, named in StoresReady", () => {
  const noSecret = desiredStores(server(), secrets({}))[0];
  assert.match(noSecret?.blocked ?? "", /waiting for Secret s3/);
  const noKey = desiredStores(server(), secrets({ s3: { id: "AK1" } }))[0];
  assert.match(noKey?.blocked ?? "", /Secret s3 \(credentialsSecretRef\) has no value for key/);
  const plan = planStores([noKey!], remote(), [], new Set());
  assert.deepEqual([plan.create, plan.update], [[], []], "no call without credentials");
  const record = nextStoreRecord(plan, []);
  assert.equal(record[0]?.state, "Pending");
  const condition = storesCondition([noKey!], record);
  assert.equal(condition?.reason, REASON.StorePending);
  assert.match(condition?.message ?? "", /remote store objects \(Secret s3/);
});

test("rotation: the pair is pushed again when its fingerprint differs from the one last pushed (and once after a restart)", () => {
  const pushed = { "remote/objects": objects.secret?.fingerprint ?? "" };
  const inSync = planStores([objects], remote(onServer(objects)), [created(objects)], new Set(), pushed);
  assert.deepEqual([inSync.update, inSync.settled], [[], [created(objects)]]);
  const [rotatedKey] = desiredStores(server(), pair("AK1", "SK2")) as [DesiredStore];
  assert.notEqual(rotatedKey.secret?.fingerprint, objects.secret?.fingerprint);
  assert.deepEqual(planStores([rotatedKey], remote(onServer(objects)), [created(objects)], new Set(), pushed).update, [rotatedKey], "same key ID, new secret key");
  const [rotatedBoth] = desiredStores(server(), pair("AK2", "SK2")) as [DesiredStore];
  assert.deepEqual(planStores([rotatedBoth], remote(onServer(objects)), [created(objects)], new Set(), pushed).update, [rotatedBoth]);
  assert.deepEqual(planStores([objects], remote(onServer(objects)), [created(objects)], new Set(), {}).update, [objects], "a restarted operator pushes once");
});

test("the server's failing probe is Unhealthy: StoresReady names the store, and the store stays the operator's", () => {
  const pushed = { "remote/objects": objects.secret?.fingerprint ?? "" };
  const plan = planStores([objects], remote(onServer(objects, { status: "unhealthy", message: "S3 connectivity check failed" })), [created(objects)], new Set(), pushed);
  const record = nextStoreRecord(plan, []);
  assert.deepEqual(record, [{ ...created(objects), state: "Unhealthy", message: "the server's probe of it fails: S3 connectivity check failed" }]);
  const condition = storesCondition([objects], record);
  assert.deepEqual([condition?.ok, condition?.reason], [false, REASON.StoreUnhealthy]);
  assert.match(condition?.message ?? "", /remote store objects: the server's probe of it fails: S3 connectivity check failed/);
  const [rotated] = desiredStores(server(), pair("AK2", "SK2")) as [DesiredStore];
  assert.deepEqual(planStores([rotated], remote(onServer(objects)), record, new Set(), pushed).update, [rotated], "corrected, not a conflict");
  const degraded = planStores([objects], remote(onServer(objects, { status: "degraded", message: "slow" })), record, new Set(), pushed);
  assert.equal(degraded.settled[0]?.state, "Created", "only a failing probe says anything");
  const answered = nextStoreRecord(planStores([objects], remote(), [], new Set()), [{ kind: "remote", name: "objects", op: "create", result: "ok", health: { status: "unhealthy", message: "403" } }]);
  assert.equal(answered[0]?.state, "Unhealthy", "the create's own answer carries the probe: no True in between");
});

test("a remote store a share uses is in use", () => {
  assert.deepEqual([...storesInUse(remote(onServer(objects)), [{ name: "/s", metadataStoreId: "m", localBlockStoreId: "l", remoteBlockStoreId: "id-objects" }])], ["remote/objects"]);
});

/** A server holding remote stores; `refuse` answers 400 to every write. */
function fakeServer(options: { refuse?: boolean } = {}) {
  const calls: string[] = [];
  const held = new Map<string, Store>();
  const write = (method: string, kind: StoreKindPath, body: StoreBody): Promise<Store> =>
    new Promise((resolve) => {
      calls.push(`${method} ${kind}/${body.name}`);
      if (options.refuse) throw new DittoFsError("rejected", 400, method, body.name, "HTTP 400: unsafe endpoint");
      const store = { id: `id-${body.name}`, name: body.name, type: body.type, config: { ...(JSON.parse(body.config) as object), secret_access_key: "********" } };
      held.set(body.name, store);
      resolve(store);
    });
  const api: StoreApi = {
    listStores: (_t, kind) => Promise.resolve(kind === "remote" ? [...held.values()] : []),
    createStore: (_t, kind, body) => write("POST", kind, body),
    updateStore: (_t, kind, body) => write("PUT", kind, body),
    deleteStore: () => Promise.resolve(),
    listShareStores: () => Promise.resolve([]),
  };
  return { api, calls };
}

test("sync: a refused store backs off (30 s doubling), is tried at once when its body changes, and never per poll", async () => {
  const s = fakeServer({ refuse: true });
  const first = await syncStores(s.api, { token: "t", desired: [objects], record: [], now: 0 });
  assert.deepEqual([s.calls, first.record[0]?.state], [["POST remote/objects"], "Rejected"]);
  const retryAt = first.memory.refusals["remote/objects"]?.backoff.retryAt ?? 0;
  assert.ok(retryAt >= 30_000 && retryAt <= 36_000, `first retry after 30 s (+ jitter): ${retryAt}`);
  const polled = await syncStores(s.api, { token: "t", desired: [objects], record: first.record, memory: first.memory, now: 10_000 });
  assert.deepEqual([s.calls.length, polled.record], [1, first.record], "a poll inside the back-off: no call, same record");
  const due = await syncStores(s.api, { token: "t", desired: [objects], record: polled.record, memory: polled.memory, now: retryAt });
  assert.equal(s.calls.length, 2);
  assert.ok((due.memory.refusals["remote/objects"]?.backoff.retryAt ?? 0) >= retryAt + 60_000, "then 60 s");
  const [changed] = desiredStores(server({ ...S3, bucket: "other" }), pair("AK1", "SK1")) as [DesiredStore];
  await syncStores(s.api, { token: "t", desired: [changed], record: due.record, memory: due.memory, now: retryAt + 1 });
  assert.equal(s.calls.length, 3, "a changed spec is tried at once");
});

test("sync: the pushed fingerprint is kept, so a rotation is one PUT and an unchanged Secret none", async () => {
  const s = fakeServer();
  const first = await syncStores(s.api, { token: "t", desired: [objects], record: [], now: 0 });
  const again = await syncStores(s.api, { token: "t", desired: [objects], record: first.record, memory: first.memory, now: 1 });
  assert.deepEqual(s.calls, ["POST remote/objects"]);
  const [rotated] = desiredStores(server(), pair("AK1", "SK2")) as [DesiredStore];
  const after = await syncStores(s.api, { token: "t", desired: [rotated], record: again.record, memory: again.memory, now: 2 });
  assert.deepEqual(s.calls, ["POST remote/objects", "PUT remote/objects"]);
  assert.deepEqual(after.record, [created(rotated)]);
  assert.ok(!JSON.stringify(after.memory).includes("SK2"), "the memory holds hashes, not the secret");
});

test("the store step runs at once when its Secret changes; the pod never consumes the S3 Secret, the watch does", () => {
  const ds = server();
  const state = { trigger: STORE_STEP.trigger(ds, pair("AK1", "SK1")), record: [], memory: undefined };
  assert.equal(stepTriggered(STORE_STEP, state, ds, pair("AK1", "SK1")), false);
  assert.equal(stepTriggered(STORE_STEP, state, ds, pair("AK1", "SK2")), true);
  assert.ok(!state.trigger.includes("SK1"));
  assert.ok(referencedSecretNames(ds).includes("s3"), "a change of the Secret triggers a pass");
  assert.ok(!referencedSecrets(ds).some((u) => u.name === "s3"), "never in the pod's env or its configuration hash");
});

const PG_KEYS = { host: "host", port: "port", database: "database", user: "user", password: "password", sslmode: "sslmode" };
const pgServer = { metadata: { name: "files", namespace: "ns" }, spec: { controlPlane: {}, stores: { metadata: [{ name: "pgmeta", type: "postgres", postgres: { connectionSecretRef: { name: "pg", keys: PG_KEYS } } }] } } } as unknown as DittoServer;
const connection = { host: "db.ns.svc", port: "5433", database: "meta", user: "dittofs", password: "pw1", sslmode: "require" };

test("a postgres metadata store takes its connection from the Secret: the password pushed, never compared; port as a number", () => {
  const [pg] = desiredStores(pgServer, secrets({ pg: connection })) as [DesiredStore];
  assert.deepEqual([pg.kind, pg.type, pg.blocked], ["metadata", "postgres", undefined]);
  assert.deepEqual(pg.config, { host: "db.ns.svc", port: 5433, database: "meta", user: "dittofs", sslmode: "require" });
  assert.deepEqual(JSON.parse(storeBody(pg).config), { ...pg.config, password: "pw1" });
  const [rotated] = desiredStores(pgServer, secrets({ pg: { ...connection, password: "pw2" } })) as [DesiredStore];
  assert.notEqual(rotated.secret?.fingerprint, pg.secret?.fingerprint);
  const onPg = { id: "id-pgmeta", name: "pgmeta", type: "postgres", config: { ...pg.config, password: "********" } };
  const observedPg: ObservedStores = { metadata: [onPg], block: [], remote: [] };
  const record = [created(pg)];
  assert.deepEqual(planStores([pg], observedPg, record, new Set(), { "metadata/pgmeta": pg.secret?.fingerprint ?? "" }).update, [], "in sync");
  assert.deepEqual(planStores([rotated], observedPg, record, new Set(), { "metadata/pgmeta": pg.secret?.fingerprint ?? "" }).update, [rotated], "a new password: one PUT");
  const [moved] = desiredStores(pgServer, secrets({ pg: { ...connection, host: "db2.ns.svc" } })) as [DesiredStore];
  assert.deepEqual(planStores([moved], observedPg, record, new Set(), { "metadata/pgmeta": pg.secret?.fingerprint ?? "" }).update, [moved], "another host is drift");
});

test("a postgres connection without port and sslmode leaves them to the server; a bad port or a missing password blocks the store", () => {
  const [minimal] = desiredStores(pgServer, secrets({ pg: { host: "h", database: "d", user: "u", password: "p" } })) as [DesiredStore];
  assert.deepEqual(minimal.config, { host: "h", database: "d", user: "u" });
  assert.match(desiredStores(pgServer, secrets({ pg: { ...connection, port: "54x" } }))[0]?.blocked ?? "", /port is not a port number/);
  assert.match(desiredStores(pgServer, secrets({ pg: { ...connection, password: "" } }))[0]?.blocked ?? "", /Secret pg \(connectionSecretRef\) has no value for password/);
  const uses = referencedSecretNames(pgServer);
  assert.ok(uses.includes("pg"), "the connection Secret is watched");
  assert.ok(!referencedSecrets(pgServer).some((u) => u.name === "pg"), "and never consumed by the pod");
});
