/**
 * The pod runner's claims: one directory per PVC UID, so a re-used claim keeps its data across pods and a claim
 * deleted and recreated under the same name starts empty (the switch test counts on both).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareContainer } from "../../controlplane/pods/launch.ts";
import type { RunnerPod } from "../../controlplane/pods/launch.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";

const image = { entrypoint: ["/app/dfs"], files: {}, uid: 65532, gid: 65532, home: "/app", ownedDirs: [] };
const pod: RunnerPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "fs1-0", namespace: "ns", uid: "pod-1" },
  spec: { enableServiceLinks: false, containers: [], volumes: [{ name: "metadata", persistentVolumeClaim: { claimName: "metadata-fs1-0" } }] },
};
const container = { name: "dittofs", volumeMounts: [{ name: "metadata", mountPath: "/data/store/metadata" }] };

test("a claim's directory is keyed by the PVC's UID; a missing PVC fails the start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runner-claims-"));
  try {
    const withPvc = (uid: string | undefined) => (path: string): Promise<KubeObject | undefined> =>
      Promise.resolve(path === "/api/v1/namespaces/ns/persistentvolumeclaims/metadata-fs1-0" && uid ? { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "metadata-fs1-0", uid } } : undefined);
    const mountOf = async (uid: string): Promise<string | undefined> => {
      const prepared = await prepareContainer({ pod, podIP: "10.128.0.2", container, image, podDir: join(dir, "pod"), claimsDir: join(dir, "claims"), get: withPvc(uid) });
      return prepared.mounts.find((m) => m.containerPath === "/data/store/metadata")?.hostPath;
    };
    const first = await mountOf("uid-a");
    assert.equal(first, join(dir, "claims", "ns", "metadata-fs1-0", "uid-a"));
    assert.equal(await mountOf("uid-a"), first, "the same claim, the same data");
    assert.notEqual(await mountOf("uid-b"), first, "a recreated claim is a new volume");
    await assert.rejects(
      prepareContainer({ pod, podIP: "10.128.0.2", container, image, podDir: join(dir, "pod"), claimsDir: join(dir, "claims"), get: withPvc(undefined) }),
      /PersistentVolumeClaim "metadata-fs1-0" not found/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
