/** The finalizer helper against real objects: JSON patches with test ops, other controllers' finalizers kept. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestNamespace, testKubeConfigPath } from "../../controlplane/testenv.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import { isInvalid } from "../../../src/runtime/errors.ts";
import { finalizer } from "../../../src/runtime/finalizer.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";

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
  for (const name of ["add", "bare", "stale", "delete", "deleting"]) {
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
