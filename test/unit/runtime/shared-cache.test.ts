import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeClient } from "../../../src/runtime/client.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { SharedCache } from "../../../src/runtime/shared-cache.ts";

const client = new KubeClient({ server: "https://127.0.0.1:1", tls: { rejectUnauthorized: true }, authHeaders: () => Promise.resolve({}) }, { fieldManager: "test" });

test("get and list refuse a kind nobody watches instead of starting an empty informer", () => {
  const cache = new SharedCache({ client });
  assert.throws(() => cache.get(CORE.secrets, "ns/a"), /secrets.* is not watched/);
  assert.throws(() => cache.list(CORE.secrets), /is not watched/);
  assert.equal(cache.only(CORE.secrets), undefined, "the refused read created no informer");
});

test("get refuses an informer that has not listed yet (its empty store would read as absent)", () => {
  const cache = new SharedCache({ client });
  cache.informerFor(CORE.configMaps);
  assert.throws(() => cache.get(CORE.configMaps, "ns/a"), /has not listed yet/);
});

test("a kind is read through its one informer whatever the selector; two selectors are ambiguous", () => {
  const cache = new SharedCache({ client });
  const pods = cache.informerFor(CORE.pods, { labelSelector: "app=x" });
  assert.equal(cache.only(CORE.pods), pods);
  cache.informerFor(CORE.pods, { labelSelector: "app=y" });
  assert.throws(() => cache.only(CORE.pods), /2 informers/);
});
