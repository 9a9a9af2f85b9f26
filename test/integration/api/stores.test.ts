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
    ],
    block: [
      { name: "blocks", type: "local" },
      { name: "scratch-blocks", type: "memory" },
    ],
  };
  const spec = { storage: { metadataSize: "1Gi", contentSize: "1Gi" }, stores };
  const created = (await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body: dittoServer("all-stores", spec), fieldValidation: "Strict" })) as {
    spec: { stores?: unknown };
  };
  assert.deepEqual(created.spec.stores, stores);
});

const meta = (name: string, type = "badger") => ({ name, type });
const CASES: CreateCase[] = [
  { name: "metadata store without name", spec: { stores: { metadata: [{ type: "memory" }] } }, field: "spec.stores.metadata[0].name", message: "Required value" },
  { name: "metadata store without type", spec: { stores: { metadata: [{ name: "m" }] } }, field: "spec.stores.metadata[0].type", message: "Required value" },
  { name: "metadata store of an unknown type", spec: { stores: { metadata: [meta("m", "sqlite")] } }, field: "spec.stores.metadata[0].type", message: "Unsupported value" },
  { name: "postgres metadata store (not offered yet)", spec: { stores: { metadata: [meta("m", "postgres")] } }, field: "spec.stores.metadata[0].type", message: "Unsupported value" },
  { name: "store name with a slash", spec: { stores: { metadata: [meta("../etc")] } }, field: "spec.stores.metadata[0].name", message: "should match" },
  { name: "store name in capitals", spec: { stores: { block: [{ name: "Blocks", type: "memory" }] } }, field: "spec.stores.block[0].name", message: "should match" },
  { name: "empty store name", spec: { stores: { block: [{ name: "", type: "memory" }] } }, field: "spec.stores.block[0].name", message: "at least 1 chars long" },
  { name: "store name longer than a label", spec: { stores: { metadata: [meta("m".repeat(64))] } }, field: "spec.stores.metadata[0].name", message: "Too long" },
  { name: "badger path given by the user", spec: { stores: { metadata: [{ name: "m", type: "badger", path: "/etc" }] } }, field: "spec.stores.metadata[0].path", message: "unknown field" },
  { name: "block store of the remote kind", spec: { stores: { block: [{ name: "b", type: "s3" }] } }, field: "spec.stores.block[0].type", message: "Unsupported value" },
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
