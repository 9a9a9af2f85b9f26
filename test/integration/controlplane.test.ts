/**
 * Smoke tests proving the shared test control plane is real: workload controllers, kwok-provisioned volumes,
 * the garbage collector, PodSecurity admission, RBAC and the audit log all do their job.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { V1Pod } from "@kubernetes/client-node";
import { renderKubeconfig, signClientCertificate } from "../controlplane/index.ts";
import type { KubeObject } from "../../src/runtime/objects.ts";
import {
  createObject,
  createTestNamespace,
  isNotFound,
  kubectl,
  testAuditLogPath,
  testCa,
  testKubeConfig,
  waitFor,
} from "../controlplane/testenv.ts";

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
// Creates take plain JSON (createObject); reads use the typed clients.
const create = (obj: KubeObject): Promise<KubeObject> => createObject(obj, kc);

/** The message of the Status object the apiserver sends with an error (client-node hands over the raw body). */
function statusMessage(body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === "string") return status.message;
  } catch {
    // not JSON: show it as it is
  }
  return text;
}

/** HTTP status and Status message of a rejected API call (fails the test if the call succeeded). */
async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, message: statusMessage(err.body) };
    throw err;
  }
  assert.fail("the API call was expected to be rejected but succeeded");
}

function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

describe("local control plane", () => {
  let ns: { name: string; delete(): Promise<void> };
  before(async () => {
    ns = await createTestNamespace("controlplane-smoke");
  });
  after(async () => {
    await ns.delete();
  });

  test("a StatefulSet with a volumeClaimTemplate gets bound PVCs, scheduled Ready pods, and replaces a deleted pod", async () => {
    const namespace = ns.name;
    const labels = { app: "web" };
    await create({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "web", namespace },
        spec: {
          replicas: 2,
          serviceName: "web",
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "app", image: "example/app:1" }] },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              // No storageClassName: the DefaultStorageClass admission plugin fills in kwok's default class.
              spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
            },
          ],
        },
    });
    await waitFor(
      "StatefulSet web readyReplicas=2",
      async () => {
        const sts = await apps.readNamespacedStatefulSet({ name: "web", namespace });
        return sts.status?.readyReplicas === 2 ? sts : undefined;
      },
      { timeoutMs: 120_000 },
    );

    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace });
    assert.deepEqual(claims.items.map((c) => c.metadata?.name).sort(), ["data-web-0", "data-web-1"]);
    for (const claim of claims.items) {
      assert.equal(claim.status?.phase, "Bound", `PVC ${claim.metadata?.name ?? "?"} is not Bound`);
      assert.equal(claim.spec?.storageClassName, "kwok-volume");
      assert.ok(claim.spec?.volumeName, `PVC ${claim.metadata?.name ?? "?"} has no volume`);
    }
    const pods = await core.listNamespacedPod({ namespace, labelSelector: "app=web" });
    assert.equal(pods.items.length, 2);
    for (const pod of pods.items) {
      assert.match(pod.spec?.nodeName ?? "", /^kwok-node-\d+$/, "the scheduler bound the pod to a fake node");
      assert.equal(pod.status?.phase, "Running");
      assert.ok(podReady(pod));
    }

    // Deletion completes (kwok's pod-delete stage) and the StatefulSet controller recreates the pod.
    const old = pods.items.find((p) => p.metadata?.name === "web-0");
    assert.ok(old?.metadata?.uid);
    await core.deleteNamespacedPod({ name: "web-0", namespace });
    await waitFor(
      "pod web-0 replaced by a new Ready pod",
      async () => {
        const pod = await core.readNamespacedPod({ name: "web-0", namespace });
        return pod.metadata?.uid !== old.metadata?.uid && podReady(pod) ? pod : undefined;
      },
      { timeoutMs: 120_000 },
    );
  });

  test("deleting an owner garbage-collects the objects it owns", async () => {
    const namespace = ns.name;
    const owner = await create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "owner", namespace } });
    assert.ok(owner.metadata?.uid);
    await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "owned",
        namespace,
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid }],
      },
    });
    await create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bystander", namespace } });

    await core.deleteNamespacedConfigMap({ name: "owner", namespace });
    await waitFor("ConfigMap owned to be garbage-collected", async () => {
      try {
        await core.readNamespacedConfigMap({ name: "owned", namespace });
        return undefined;
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    });
    // The collector removed the dependent only, not everything in the namespace.
    const bystander = await core.readNamespacedConfigMap({ name: "bystander", namespace });
    assert.equal(bystander.metadata?.name, "bystander");
  });

  test("PodSecurity admission rejects a privileged pod in a restricted namespace", async () => {
    const restricted = await createTestNamespace("controlplane-restricted", {
      "pod-security.kubernetes.io/enforce": "restricted",
    });
    try {
      const namespace = restricted.name;
      const rejected = await rejection(
        create({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "privileged", namespace },
          spec: { containers: [{ name: "app", image: "example/app:1", securityContext: { privileged: true } }] },
        }),
      );
      assert.equal(rejected.code, 403);
      assert.match(rejected.message, /violates PodSecurity "restricted/);

      // The same namespace admits a pod that meets the restricted profile: the rejection above was PodSecurity's.
      const compliant = await create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "compliant", namespace },
        spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "app",
                image: "example/app:1",
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              },
            ],
        },
      });
      assert.equal(compliant.metadata?.name, "compliant");
    } finally {
      await restricted.delete();
    }
  });

  test("RBAC: an identity without bindings is forbidden until it is granted a role", async () => {
    const namespace = ns.name;
    const user = `nobody-${namespace}`;
    const dir = await mkdtemp(join(tmpdir(), "dittofs-rbac-test-"));
    try {
      const ca = testCa();
      const cert = await signClientCertificate({ caCertPath: ca.certPath, caKeyPath: ca.keyPath, dir, commonName: user });
      const userKc = new KubeConfig();
      userKc.loadFromString(
        renderKubeconfig({
          server: kc.getCurrentCluster()?.server ?? "",
          caCertPath: ca.certPath,
          credentials: { clientCertPath: cert.certPath, clientKeyPath: cert.keyPath },
        }),
      );
      const asUser = userKc.makeApiClient(CoreV1Api);

      const forbidden = await rejection(asUser.listNamespacedConfigMap({ namespace }));
      assert.equal(forbidden.code, 403);
      assert.match(forbidden.message, new RegExp(`User "${user}" cannot list resource "configmaps"`));

      const impersonated = await kubectl(["get", "configmaps", `--as=${user}`], { namespace });
      assert.notEqual(impersonated.code, 0);
      assert.match(impersonated.stderr, /Forbidden/);

      // Authentication worked all along: a RoleBinding turns the 403 into a 200.
      await create({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "nobody-view", namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
      });
      const list = await waitFor("the user to be allowed to list ConfigMaps", () =>
        asUser.listNamespacedConfigMap({ namespace }),
      );
      assert.ok(Array.isArray(list.items));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the audit log records requests at Metadata level without the RequestReceived stage", async () => {
    const marker = await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "audit-marker", namespace: ns.name },
      data: { secret: "not-in-the-audit-log" },
    });
    assert.ok(marker.metadata?.uid);
    const events = await waitFor("the audit event for creating ConfigMap audit-marker", async () => {
      const lines = (await readFile(testAuditLogPath(), "utf8")).split("\n").filter((l) => l.includes("audit-marker"));
      const parsed = lines.map((l) => JSON.parse(l) as { verb: string; stage: string; level: string; requestObject?: unknown });
      return parsed.some((e) => e.verb === "create" && e.stage === "ResponseComplete") ? parsed : undefined;
    });
    for (const event of events) {
      assert.equal(event.level, "Metadata");
      assert.notEqual(event.stage, "RequestReceived");
      assert.equal(event.requestObject, undefined, "Metadata level carries no request bodies");
    }
  });
});
