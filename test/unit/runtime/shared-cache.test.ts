import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { KubeClient } from "../../../src/runtime/client.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { SharedCache } from "../../../src/runtime/shared-cache.ts";

// The cache is never started: no request is sent.
const client = new KubeClient({ server: "https://127.0.0.1:1", tls: { rejectUnauthorized: true }, authHeaders: () => Promise.resolve({}) }, { fieldManager: "test" });

function pod(): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "ns", resourceVersion: "7", managedFields: [{ manager: "kubelet" }] },
    spec: { containers: [{ name: "c", image: "i" }] },
    status: { phase: "Running" },
  };
}

const statusOnly = (o: KubeObject): KubeObject => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, status: o.status });

describe("SharedCache transforms", () => {
  it("keeps what a declared transform returns, after stripping managedFields", async () => {
    const cache = new SharedCache({ client });
    const informer = cache.informerFor(CORE.pods, {}, statusOnly);
    await informer.writeThrough("ns/p", () => Promise.resolve(pod()));
    assert.deepEqual(informer.latest("ns/p"), { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", resourceVersion: "7" }, status: { phase: "Running" } });
  });

  it("keeps the whole object (without managedFields) when nothing is declared", async () => {
    const cache = new SharedCache({ client });
    const informer = cache.informerFor(CORE.pods);
    await informer.writeThrough("ns/p", () => Promise.resolve(pod()));
    assert.deepEqual(informer.latest("ns/p")?.spec, { containers: [{ name: "c", image: "i" }] });
    assert.equal(informer.latest("ns/p")?.metadata.managedFields, undefined);
  });

  it("shares the informer with plain reads and refuses a second, different declaration", () => {
    const cache = new SharedCache({ client });
    const declared = cache.informerFor(CORE.pods, { labelSelector: "a=b" }, statusOnly);
    assert.equal(cache.informerFor(CORE.pods, { labelSelector: "a=b" }), declared);
    assert.equal(cache.informerFor(CORE.pods, { labelSelector: "a=b" }, statusOnly), declared);
    assert.throws(() => cache.informerFor(CORE.pods, { labelSelector: "a=b" }, (o) => o), /already exists with another transform/);
    cache.informerFor(CORE.secrets);
    assert.throws(() => cache.informerFor(CORE.secrets, {}, statusOnly), /already exists with another transform/, "a read before the declaration would have cached whole objects");
  });
});

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
