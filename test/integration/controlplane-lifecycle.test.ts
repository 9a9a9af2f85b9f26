/**
 * The harness's own contract, on private control planes (not the shared one): apiserver restarts keep the URL
 * and the data, etcdUrl reaches the apiserver's etcd, stop() leaves nothing behind, and a component that
 * cannot start fails naming its log file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { startControlPlane } from "../controlplane/index.ts";
import { createObject, testBinDir } from "../controlplane/testenv.ts";

async function etcdPost(etcdUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${etcdUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
  assert.equal(res.status, 200, `etcd ${path}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

test("apiserver restart keeps URL and data; etcdUrl is the apiserver's etcd; stop() cleans up", async () => {
  const cp = await startControlPlane({ components: ["etcd", "apiserver"] });
  let stopped = false;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const created = await createObject(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "survivor", namespace: "default" }, data: { a: "1" } },
      kc,
    );

    // The object is in the etcd behind etcdUrl, and the JSON gateway's compaction works there.
    const key = Buffer.from("/registry/configmaps/default/survivor").toString("base64");
    const range = await etcdPost(cp.etcdUrl, "/v3/kv/range", { key });
    assert.equal(range.count, "1");
    const revision = (range.header as { revision: string }).revision;
    await etcdPost(cp.etcdUrl, "/v3/kv/compaction", { revision });

    await cp.stopApiServer();
    await assert.rejects(core.readNamespacedConfigMap({ name: "survivor", namespace: "default" }));
    await cp.startApiServer();
    const after = await core.readNamespacedConfigMap({ name: "survivor", namespace: "default" });
    assert.equal(after.metadata?.uid, created.metadata.uid);
    assert.equal(kc.getCurrentCluster()?.server, cp.apiServerUrl);

    await cp.stop();
    stopped = true;
    assert.equal(existsSync(cp.workDir), false, "the temp work dir is removed");
    await assert.rejects(fetch(`${cp.etcdUrl}/health`), "etcd no longer answers");
    await assert.rejects(core.readNamespacedConfigMap({ name: "survivor", namespace: "default" }));
  } finally {
    if (!stopped) await cp.stop();
  }
});

test("a component that cannot start fails with its log file and the end of it", async () => {
  // A copy of the asset dir whose etcd is a script that complains and exits.
  const assets = await mkdtemp(join(tmpdir(), "dittofs-broken-assets-"));
  const saved = process.env.DITTOFS_TEST_ASSETS;
  try {
    const real = testBinDir();
    for (const name of await readdir(real)) {
      if (name !== "etcd") await symlink(join(real, name), join(assets, name));
    }
    await writeFile(join(assets, "etcd"), "#!/bin/sh\necho 'etcd: cannot open data dir (simulated)'\nexit 7\n");
    await chmod(join(assets, "etcd"), 0o755);
    process.env.DITTOFS_TEST_ASSETS = assets;

    const failure = await startControlPlane({ components: ["etcd"] }).then(
      async (cp) => {
        await cp.stop();
        return undefined;
      },
      (err: unknown) => err as Error,
    );
    assert.ok(failure, "startControlPlane should have failed");
    assert.match(failure.message, /^etcd failed to start: exited \(exit code 7\)/);
    const logPath = /last lines of (\S+etcd\.log)/.exec(failure.message)?.[1];
    assert.ok(logPath, "the error names the log file");
    assert.ok(existsSync(logPath), "the log file is kept after a failed start");
    assert.match(failure.message, /cannot open data dir \(simulated\)/);
    await rm(join(logPath, "..", ".."), { recursive: true, force: true });
  } finally {
    if (saved === undefined) delete process.env.DITTOFS_TEST_ASSETS;
    else process.env.DITTOFS_TEST_ASSETS = saved;
    await rm(assets, { recursive: true, force: true });
  }
});
