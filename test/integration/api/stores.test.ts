/**
 * spec.stores on the real kube-apiserver: a spec with every store type is accepted as given, and bad stores are
 * rejected with messages that name the field.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createTestNamespace } from "../../controlplane/testenv.ts";
import { assertCause, crdCoordinates, customObjects, dittoServer, installCrd, merge, MINIMAL_SPEC, rejection } from "./support.ts";
import type { CreateCase } from "./invalid-create-cases.ts";

const api = customObjects();
let namespace = "";
let cleanup: (() => Promise<void>) | undefined;

before(async () => {
  await installCrd();
  const ns = await createTestNamespace("api-stores");
  namespace = ns.name;
  cleanup = () => ns.delete();
});
after(async () => cleanup?.());

test("every store type is accepted and stored as given", async () => {
  const stores = {
    metadata: [
      { name: "meta", type: "badger" },
      { name: "scratch-meta", type: "memory" },
      {
        name: "pg-meta",
        type: "postgres",
        postgres: { connectionSecretRef: { name: "pg-connection", keys: { host: "h", port: "p", database: "d", user: "u", password: "pw", sslmode: "s" } } },
      },
    ],
    block: [
      { name: "blocks", type: "local" },
      { name: "scratch-blocks", type: "memory" },
      {
        name: "objects",
        type: "s3",
        s3: { endpoint: "https://s3.example.internal:9000", bucket: "dittofs.blocks-1", region: "eu-west-1", prefix: "fs1/", forcePathStyle: true, allowPrivateEndpoint: true, credentialsSecretRef: { name: "s3-credentials", accessKeyIdKey: "id", secretAccessKeyKey: "key" } },
      },
    ],
  };
  const spec = { storage: { metadataSize: "1Gi", contentSize: "1Gi" }, stores };
  const created = (await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body: dittoServer("all-stores", spec), fieldValidation: "Strict" })) as {
    spec: { stores?: unknown };
  };
  assert.deepEqual(created.spec.stores, stores);
});

const meta = (name: string, type = "badger") => ({ name, type });
const s3 = (changes: Record<string, unknown> = {}) => ({ endpoint: "http://minio.storage:9000", bucket: "blocks", credentialsSecretRef: { name: "s3-credentials" }, ...changes });
/** An s3 store; a change to undefined drops the field. */
const s3Store = (changes: Record<string, unknown>) => ({ name: "objects", type: "s3", s3: JSON.parse(JSON.stringify(s3(changes))) as unknown });
const CASES: CreateCase[] = [
  { name: "metadata store without name", spec: { stores: { metadata: [{ type: "memory" }] } }, field: "spec.stores.metadata[0].name", message: "Required value" },
  { name: "metadata store without type", spec: { stores: { metadata: [{ name: "m" }] } }, field: "spec.stores.metadata[0].type", message: "Required value" },
  { name: "metadata store of an unknown type", spec: { stores: { metadata: [meta("m", "sqlite")] } }, field: "spec.stores.metadata[0].type", message: "Unsupported value" },
  { name: "postgres metadata store without postgres", spec: { stores: { metadata: [meta("m", "postgres")] } }, field: "spec.stores.metadata[0].postgres", message: "a store of type postgres needs postgres.connectionSecretRef" },
  { name: "postgres settings on a badger store", spec: { stores: { metadata: [{ ...meta("m"), postgres: { connectionSecretRef: { name: "pg" } } }] } }, field: "spec.stores.metadata[0].postgres", message: "postgres is only for a store of type postgres" },
  { name: "postgres store without a connection Secret", spec: { stores: { metadata: [{ ...meta("m", "postgres"), postgres: {} }] } }, field: "spec.stores.metadata[0].postgres.connectionSecretRef", message: "Required value" },
  { name: "postgres connection key with a slash", spec: { stores: { metadata: [{ ...meta("m", "postgres"), postgres: { connectionSecretRef: { name: "pg", keys: { password: "a/b" } } } }] } }, field: "spec.stores.metadata[0].postgres.connectionSecretRef.keys.password", message: "should match" },
  { name: "store name with a slash", spec: { stores: { metadata: [meta("../etc")] } }, field: "spec.stores.metadata[0].name", message: "should match" },
  { name: "store name in capitals", spec: { stores: { block: [{ name: "Blocks", type: "memory" }] } }, field: "spec.stores.block[0].name", message: "should match" },
  { name: "empty store name", spec: { stores: { block: [{ name: "", type: "memory" }] } }, field: "spec.stores.block[0].name", message: "at least 1 chars long" },
  { name: "store name longer than a label", spec: { stores: { metadata: [meta("m".repeat(64))] } }, field: "spec.stores.metadata[0].name", message: "Too long" },
  { name: "badger path given by the user", spec: { stores: { metadata: [{ name: "m", type: "badger", path: "/etc" }] } }, field: "spec.stores.metadata[0].path", message: "unknown field" },
  { name: "block store of an unknown remote type", spec: { stores: { block: [{ name: "b", type: "gcs" }] } }, field: "spec.stores.block[0].type", message: "Unsupported value" },
  { name: "s3 store without s3", spec: { stores: { block: [{ name: "b", type: "s3" }] } }, field: "spec.stores.block[0].s3", message: "a store of type s3 needs s3" },
  { name: "s3 settings on a memory store", spec: { stores: { block: [{ name: "b", type: "memory", s3: s3() }] } }, field: "spec.stores.block[0].s3", message: "s3 is only for a store of type s3" },
  { name: "s3 store without bucket", spec: { stores: { block: [s3Store({ bucket: undefined })] } }, field: "spec.stores.block[0].s3.bucket", message: "Required value" },
  { name: "s3 store without credentials", spec: { stores: { block: [s3Store({ credentialsSecretRef: undefined })] } }, field: "spec.stores.block[0].s3.credentialsSecretRef", message: "Required value" },
  { name: "s3 credentials without a Secret name", spec: { stores: { block: [s3Store({ credentialsSecretRef: { accessKeyIdKey: "id" } })] } }, field: "spec.stores.block[0].s3.credentialsSecretRef.name", message: "Required value" },
  { name: "s3 credentials key with a slash", spec: { stores: { block: [s3Store({ credentialsSecretRef: { name: "c", secretAccessKeyKey: "a/b" } })] } }, field: "spec.stores.block[0].s3.credentialsSecretRef.secretAccessKeyKey", message: "should match" },
  { name: "s3 endpoint without a scheme", spec: { stores: { block: [s3Store({ endpoint: "s3.example.com" })] } }, field: "spec.stores.block[0].s3.endpoint", message: "endpoint must be http(s)://host[:port]" },
  { name: "s3 endpoint of another scheme", spec: { stores: { block: [s3Store({ endpoint: "ftp://s3.example.com" })] } }, field: "spec.stores.block[0].s3.endpoint", message: "endpoint must be http(s)://host[:port]" },
  { name: "s3 endpoint with a path", spec: { stores: { block: [s3Store({ endpoint: "http://s3.example.com/bucket" })] } }, field: "spec.stores.block[0].s3.endpoint", message: "endpoint must be http(s)://host[:port]" },
  { name: "s3 endpoint with credentials in it", spec: { stores: { block: [s3Store({ endpoint: "http://key:secret@s3.example.com" })] } }, field: "spec.stores.block[0].s3.endpoint", message: "endpoint must be http(s)://host[:port]" },
  { name: "s3 bucket in capitals", spec: { stores: { block: [s3Store({ bucket: "Blocks" })] } }, field: "spec.stores.block[0].s3.bucket", message: "should match" },
  { name: "s3 bucket too short", spec: { stores: { block: [s3Store({ bucket: "ab" })] } }, field: "spec.stores.block[0].s3.bucket", message: "at least 3 chars long" },
  { name: "s3 bucket with adjacent dots", spec: { stores: { block: [s3Store({ bucket: "my..bucket" })] } }, field: "spec.stores.block[0].s3.bucket", message: "two adjacent dots" },
  { name: "s3 bucket formatted as an IP address", spec: { stores: { block: [s3Store({ bucket: "192.168.5.4" })] } }, field: "spec.stores.block[0].s3.bucket", message: "formatted as an IP address" },
  { name: "s3 region with spaces", spec: { stores: { block: [s3Store({ region: "eu west" })] } }, field: "spec.stores.block[0].s3.region", message: "should match" },
  { name: "s3 prefix starting with a slash", spec: { stores: { block: [s3Store({ prefix: "/fs1" })] } }, field: "spec.stores.block[0].s3.prefix", message: "must not start with a slash" },
  { name: "s3 path style as a string", spec: { stores: { block: [s3Store({ forcePathStyle: "yes" })] } }, field: "spec.stores.block[0].s3.forcePathStyle", message: "must be of type boolean" },
  { name: "s3 store with an unknown setting", spec: { stores: { block: [s3Store({ accessKeyId: "AKIA" })] } }, field: "spec.stores.block[0].s3.accessKeyId", message: "unknown field" },
  { name: "two metadata stores of one name", spec: { stores: { metadata: [meta("m"), meta("m", "memory")] } }, field: "spec.stores.metadata", message: "two stores with the same name" },
  {
    name: "two block stores of one name",
    spec: { storage: { metadataSize: "1Gi", contentSize: "1Gi" }, stores: { block: [{ name: "b", type: "local" }, { name: "b", type: "memory" }] } },
    field: "spec.stores.block",
    message: "two stores with the same name",
  },
  { name: "local block store without a content volume", spec: { stores: { block: [{ name: "b", type: "local" }] } }, field: "spec.stores.block", message: "needs storage.contentSize" },
];

describe("bad stores are rejected, naming the field", { concurrency: 4 }, () => {
  CASES.forEach((c, i) => {
    test(c.name, async () => {
      const body = dittoServer(`bad-store-${i}`, merge(MINIMAL_SPEC, c.spec ?? {}));
      const result = await rejection(api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body, dryRun: "All", fieldValidation: "Strict" }));
      assert.ok(result.code === 422 || result.code === 400, `unexpected HTTP ${result.code}: ${result.message}`);
      assertCause(result, c.field, c.message);
    });
  });
});
