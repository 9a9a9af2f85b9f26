/**
 * The list/watch state machine against a private kube-apiserver that the tests kill, restart and whose etcd they
 * compact: a watch survives an apiserver restart, and a compacted resourceVersion (410) leads to a relist that
 * misses no change.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startControlPlane } from "../../controlplane/index.ts";
import type { ControlPlane } from "../../controlplane/index.ts";
import { waitFor } from "../../controlplane/testenv.ts";
import { KubeClient, loadKubeConfig } from "../../../src/runtime/client.ts";
import { Informer } from "../../../src/runtime/informer.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { until } from "./support.ts";
import type { RestartReason } from "../../../src/runtime/watcher.ts";
import { clientSource } from "../../../src/runtime/watcher.ts";
import type { ListWatchSource } from "../../../src/runtime/watcher.ts";

let cp: ControlPlane;
let client: KubeClient;

before(async () => {
  cp = await startControlPlane({ components: ["etcd", "apiserver"] });
  client = new KubeClient(loadKubeConfig(cp.kubeconfigPath), { fieldManager: "watch-resilience-test" });
});

after(async () => {
  await client.close();
  await cp.stop();
});

function configMap(namespace: string, name: string, value: string): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: { value } };
}

async function newNamespace(name: string): Promise<void> {
  await client.create(CORE.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

/** Fast retries so the test does not sit in a 30 s backoff while the apiserver restarts. */
const fastWatcher = { backoff: { initialMs: 100, maxMs: 1000 } };

describe("watch across a kube-apiserver restart", () => {
  it("keeps delivering after the apiserver is killed and started again", async () => {
    const ns = "restart";
    await newNamespace(ns);
    const restarts: RestartReason[] = [];
    const informer = new Informer({
      resource: CORE.configMaps,
      selector: { namespace: ns },
      client,
      watcher: fastWatcher,
      metrics: { watchRestart: (_r, reason) => restarts.push(reason) },
    });
    const seen: string[] = [];
    informer.addEventHandler({ update: (_o, n) => seen.push((n.data as { value: string }).value) });
    informer.start();
    try {
      await client.create(CORE.configMaps, configMap(ns, "a", "1"));
      await informer.waitForSync();
      await until("cm a in cache", () => informer.get(`${ns}/a`));

      await cp.stopApiServer();
      await until("watch failure noticed", () => restarts.length > 0, { timeoutMs: 30_000 });
      await cp.startApiServer();

      await waitFor(
        "update after restart",
        async () => {
          await client.mergePatch(CORE.configMaps, { namespace: ns, name: "a" }, { data: { value: "2" } });
          return true;
        },
        { timeoutMs: 30_000 },
      );
      await until("the update reaches the informer", () => seen.includes("2"), { timeoutMs: 30_000 });
      await client.create(CORE.configMaps, configMap(ns, "b", "1"));
      await until("a later create reaches the informer", () => informer.get(`${ns}/b`), { timeoutMs: 30_000 });
      assert.ok(restarts.includes("error"), `restart reasons: ${restarts.join(", ")}`);
    } finally {
      await informer.stop();
    }
  });
});

describe("watch from a compacted resourceVersion", () => {
  it("gets 410, relists and ends with every change made meanwhile", async () => {
    const ns = "compaction";
    await newNamespace(ns);
    for (const name of ["keep", "change", "remove"]) await client.create(CORE.configMaps, configMap(ns, name, "1"));

    // A network partition between this informer and the apiserver, under the test's control: while closed, the
    // open watch is cut and new requests fail like a refused connection.
    let partitioned = false;
    const cuts = new Set<AbortController>();
    const real = clientSource(client, CORE.configMaps, { namespace: ns });
    const source: ListWatchSource = {
      list: (opts, signal) => (partitioned ? Promise.reject(new Error("ECONNREFUSED (partition)")) : real.list(opts, signal)),
      watch: (opts, signal) => {
        if (partitioned) return Promise.reject(new Error("ECONNREFUSED (partition)"));
        const cut = new AbortController();
        cuts.add(cut);
        return real.watch(opts, AbortSignal.any([signal, cut.signal]));
      },
    };
    const restarts: RestartReason[] = [];
    const informer = new Informer({
      resource: CORE.configMaps,
      selector: { namespace: ns },
      source,
      watcher: fastWatcher,
      metrics: { watchRestart: (_r, reason) => restarts.push(reason) },
    });
    const events: string[] = [];
    informer.addEventHandler({
      add: (o) => events.push(`add:${o.metadata.name}`),
      update: (_o, n) => events.push(`update:${n.metadata.name}`),
      delete: (o) => events.push(`delete:${o.metadata.name}`),
    });
    informer.start();
    try {
      await informer.waitForSync();
      // The first list is served from the apiserver's watch cache (resourceVersion=0) and may miss the newest
      // object, which then arrives on the watch: wait for it, or the partition below could cut it off.
      await until("all three objects cached", () => informer.store.keys().length === 3);
      events.length = 0;

      partitioned = true;
      for (const c of cuts) c.abort();
      await client.mergePatch(CORE.configMaps, { namespace: ns, name: "change" }, { data: { value: "2" } });
      await client.delete(CORE.configMaps, { namespace: ns, name: "remove" });
      const added = await client.create(CORE.configMaps, configMap(ns, "new", "1"));

      // Compact etcd up to now, and restart the apiserver so its watch cache cannot serve the old version either.
      const res = await fetch(`${cp.etcdUrl}/v3/kv/compaction`, {
        method: "POST",
        body: JSON.stringify({ revision: added.metadata.resourceVersion, physical: true }),
      });
      assert.equal(res.status, 200, await res.text());
      await cp.stopApiServer();
      await cp.startApiServer();
      partitioned = false;

      await until("relist after 410", () => restarts.includes("expired"), { timeoutMs: 30_000 });
      await until(
        "cache matches the API",
        () => informer.store.keys().sort().join(",") === `${ns}/change,${ns}/keep,${ns}/new`,
      );
      assert.equal((informer.get(`${ns}/change`)!.data as { value: string }).value, "2");
      assert.deepEqual(events.sort(), ["add:new", "delete:remove", "update:change"]);
    } finally {
      await informer.stop();
    }
  });
});
