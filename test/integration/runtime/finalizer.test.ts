/** The finalizer helper against real objects: JSON patches with test ops, other controllers' finalizers kept. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestNamespace, testKubeConfigPath } from "../../controlplane/testenv.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import { isInvalid } from "../../../src/runtime/errors.ts";
import { finalizer, removeFinalizerPatch } from "../../../src/runtime/finalizer.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { SharedCache } from "../../../src/runtime/shared-cache.ts";
import { CacheWriter } from "../../../src/runtime/writer.ts";

const OURS = "example.com/cleanup";
const OTHER = "other.example.com/keep";

let ns: { name: string; delete(): Promise<void> };
let client: KubeClient;
const writes: string[] = [];

before(async () => {
  ns = await createTestNamespace("rt-finalizer");
  client = new KubeClient(loadKubeConfig(testKubeConfigPath()), {
    fieldManager: "finalizer-test",
    requestCounter: { inc: ({ method }) => (method !== "GET" ? writes.push(method) : undefined) },
  });
});

after(async () => {
  // Drop leftover finalizers, or the namespace would stay Terminating forever.
  for (const name of ["add", "bare", "stale", "delete", "deleting", "last", "last-cached"]) {
    await client
      .mergePatch(CORE.configMaps, { namespace: ns.name, name }, { metadata: { finalizers: null } })
      .catch(() => undefined);
  }
  await ns.delete();
  await client.close();
});

async function create(name: string, finalizers?: string[]): Promise<KubeObject> {
  return client.create(CORE.configMaps, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns.name, ...(finalizers ? { finalizers } : {}) },
  });
}

const read = (name: string): Promise<KubeObject> => client.get(CORE.configMaps, { namespace: ns.name, name });

/** The cached copy of `key` once it carries a deletionTimestamp. */
async function waitForCached(cache: SharedCache, key: string): Promise<KubeObject> {
  for (let i = 0; i < 300; i++) {
    const obj = cache.get(CORE.configMaps, key);
    if (obj?.metadata.deletionTimestamp) return obj;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${key} never reached the cache as deleting`);
}

describe("finalizer helper", () => {
  it("adds ours next to another controller's finalizer, then applies", async () => {
    const obj = await create("add", [OTHER]);
    const calls: string[] = [];
    const handlers = {
      apply: () => Promise.resolve(calls.push("apply")),
      cleanup: () => {
        calls.push("cleanup");
        return Promise.resolve({ done: true } as const);
      },
    };
    assert.equal(await finalizer(client, CORE.configMaps, OURS, obj, handlers), undefined);
    assert.deepEqual(calls, [], "no apply in the pass that added the finalizer");
    const withOurs = await read("add");
    assert.deepEqual(withOurs.metadata.finalizers, [OTHER, OURS]);
    await finalizer(client, CORE.configMaps, OURS, withOurs, handlers);
    assert.deepEqual(calls, ["apply"]);
  });

  it("adds to an object without finalizers", async () => {
    const obj = await create("bare");
    await finalizer(client, CORE.configMaps, OURS, obj, { apply: () => Promise.resolve(), cleanup: () => Promise.resolve({ done: true } as const) });
    assert.deepEqual((await read("bare")).metadata.finalizers, [OURS]);
  });

  it("refuses to patch from a stale view instead of dropping a finalizer added meanwhile", async () => {
    const stale = await create("stale");
    await client.mergePatch(CORE.configMaps, { namespace: ns.name, name: "stale" }, { metadata: { finalizers: [OTHER] } });
    await assert.rejects(
      finalizer(client, CORE.configMaps, OURS, stale, { apply: () => Promise.resolve(), cleanup: () => Promise.resolve({ done: true } as const) }),
      (err) => isInvalid(err),
    );
    assert.deepEqual((await read("stale")).metadata.finalizers, [OTHER]);
  });

  it("keeps ours when cleanup fails, removes only ours when it succeeds", async () => {
    await create("delete", [OTHER, OURS]);
    await client.delete(CORE.configMaps, { namespace: ns.name, name: "delete" });
    const deleting = await read("delete");
    assert.ok(deleting.metadata.deletionTimestamp);

    await assert.rejects(
      finalizer(client, CORE.configMaps, OURS, deleting, {
        apply: () => Promise.resolve(),
        cleanup: () => Promise.reject(new Error("backend unreachable")),
      }),
      /backend unreachable/,
    );
    assert.deepEqual((await read("delete")).metadata.finalizers, [OTHER, OURS]);

    let cleaned = 0;
    await finalizer(client, CORE.configMaps, OURS, await read("delete"), {
      apply: () => Promise.resolve(),
      cleanup: () => {
        cleaned++;
        return Promise.resolve({ done: true } as const);
      },
    });
    assert.equal(cleaned, 1);
    const after = await read("delete");
    assert.deepEqual(after.metadata.finalizers, [OTHER], "the other controller's finalizer still holds the object");
  });

  it("removing the last finalizer deletes the object: the answer keeps the version it was based on; through the cache it reads as gone", async () => {
    // The API server deletes the object instead of updating it and answers with the patched request object.
    await create("last", [OURS]);
    await client.delete(CORE.configMaps, { namespace: ns.name, name: "last" });
    const deleting = await read("last");
    const answer = await client.jsonPatch(CORE.configMaps, { namespace: ns.name, name: "last" }, removeFinalizerPatch(deleting, OURS) ?? []);
    assert.equal(answer.metadata.resourceVersion, deleting.metadata.resourceVersion, "no new version: it reads like a write that changed nothing");
    assert.deepEqual([answer.metadata.finalizers, answer.metadata.deletionGracePeriodSeconds, !!answer.metadata.deletionTimestamp], [undefined, 0, true]);
    assert.equal(await client.getOrUndefined(CORE.configMaps, { namespace: ns.name, name: "last" }), undefined);

    const cache = new SharedCache({ client, namespace: ns.name });
    cache.informerFor(CORE.configMaps);
    cache.start();
    try {
      await cache.waitForSync(30_000);
      await create("last-cached", [OURS]);
      await client.delete(CORE.configMaps, { namespace: ns.name, name: "last-cached" });
      const key = `${ns.name}/last-cached`;
      const seen = await waitForCached(cache, key);
      await cache.stop(); // no watch event from here on: what the cache answers comes from the write alone
      await finalizer(new CacheWriter(client, cache), CORE.configMaps, OURS, seen, { apply: () => Promise.resolve(), cleanup: () => Promise.resolve({ done: true } as const) });
      assert.equal(cache.get(CORE.configMaps, key), undefined, "a pass right after the removal must not see the copy that still carries the finalizer");
    } finally {
      await cache.stop();
    }
  });

  it("never adds a finalizer to an object being deleted", async () => {
    await create("deleting", [OTHER]);
    await client.delete(CORE.configMaps, { namespace: ns.name, name: "deleting" });
    const obj = await read("deleting");
    writes.length = 0;
    let ran = false;
    await finalizer(client, CORE.configMaps, OURS, obj, {
      apply: () => Promise.resolve((ran = true)),
      cleanup: () => {
        ran = true;
        return Promise.resolve({ done: true } as const);
      },
    });
    assert.equal(ran, false);
    assert.deepEqual(writes, []);
    assert.deepEqual((await read("deleting")).metadata.finalizers, [OTHER]);
  });
});
