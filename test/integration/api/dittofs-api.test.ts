/**
 * spec.adapterDiscovery, spec.snapshotPolicies and controlPlane.operatorClientCertSecretName on the real
 * kube-apiserver: the reference's manifests that use them are accepted again (with the defaults applied), and bad
 * values are rejected with messages that name the field.
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
  const ns = await createTestNamespace("api-dittofs");
  namespace = ns.name;
  cleanup = () => ns.delete();
});
after(async () => cleanup?.());

/**
 * The reference's manifests that use the two fields: DittoServer `full` of the reference's own objects (v0.29.0,
 * as it stored it), the example of its snapshots guide, and a spec naming the reference's polling default.
 */
const REFERENCE_MANIFESTS: { name: string; spec: Record<string, unknown> }[] = [
  {
    name: "reference-full",
    spec: {
      image: "marmos91c/dittofs:v0.29.0",
      metrics: { enabled: true, path: "/metrics", port: 9090 },
      replicas: 1,
      resources: {},
      service: { type: "ClusterIP" },
      snapshotPolicies: [{ interval: "@daily", keepLast: 7, share: "/export" }],
      storage: { contentSize: "5Gi", controlPlaneSize: "1Gi", metadataSize: "2Gi" },
    },
  },
  {
    name: "reference-guide",
    spec: { storage: { metadataSize: "1Gi" }, snapshotPolicies: [{ share: "/archive", interval: "@daily", keepLast: 7, ttl: "720h", enabled: true }] },
  },
  {
    name: "reference-discovery",
    spec: { storage: { metadataSize: "1Gi" }, adapterDiscovery: { pollingInterval: "30s" }, adapterServices: { type: "LoadBalancer" } },
  },
  {
    name: "every-policy-field",
    spec: {
      storage: { metadataSize: "1Gi" },
      adapterDiscovery: { pollingInterval: "2m" },
      snapshotPolicies: [
        { share: "export", interval: "1h30m", keepLast: 0, ttl: "0", enabled: false, namePrefix: "k8s_snap-1" },
        { share: "/b", interval: "@WEEKLY", ttl: "" },
        { share: "/c", interval: "1.5h", ttl: "36h" },
      ],
      controlPlane: { certSecretName: "api-cert", clientCASecretName: "api-ca", operatorClientCertSecretName: "operator-cert" },
    },
  },
];

describe("manifests using adapterDiscovery or snapshotPolicies are accepted", { concurrency: 4 }, () => {
  for (const m of REFERENCE_MANIFESTS) {
    test(m.name, async () => {
      const created = (await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body: dittoServer(m.name, m.spec), fieldValidation: "Strict" })) as {
        spec: { adapterDiscovery?: { pollingInterval?: string }; snapshotPolicies?: unknown[] };
      };
      const asked = (m.spec.adapterDiscovery as { pollingInterval?: string } | undefined)?.pollingInterval;
      assert.equal(created.spec.adapterDiscovery?.pollingInterval, asked ?? "30s", "the reference's default applies");
      assert.deepEqual(created.spec.snapshotPolicies, m.spec.snapshotPolicies, "policies are stored as given");
    });
  }
});

const CASES: CreateCase[] = [
  { name: "polling faster than 5s", spec: { adapterDiscovery: { pollingInterval: "1s" } }, field: "spec.adapterDiscovery.pollingInterval", message: "between 5s and 1h" },
  { name: "polling slower than 1h", spec: { adapterDiscovery: { pollingInterval: "2h" } }, field: "spec.adapterDiscovery.pollingInterval", message: "between 5s and 1h" },
  { name: "polling not a duration", spec: { adapterDiscovery: { pollingInterval: "often" } }, field: "spec.adapterDiscovery.pollingInterval", message: "should match" },
  { name: "policy without share", spec: { snapshotPolicies: [{ interval: "1h" }] }, field: "spec.snapshotPolicies[0].share", message: "Required value" },
  { name: "policy without interval", spec: { snapshotPolicies: [{ share: "/a" }] }, field: "spec.snapshotPolicies[0].interval", message: "Required value" },
  { name: "interval not a duration", spec: { snapshotPolicies: [{ share: "/a", interval: "daily" }] }, field: "spec.snapshotPolicies[0].interval", message: "interval must be a positive Go duration" },
  { name: "zero interval", spec: { snapshotPolicies: [{ share: "/a", interval: "0s" }] }, field: "spec.snapshotPolicies[0].interval", message: "interval must be a positive Go duration" },
  { name: "negative interval", spec: { snapshotPolicies: [{ share: "/a", interval: "-1h" }] }, field: "spec.snapshotPolicies[0].interval", message: "interval must be a positive Go duration" },
  { name: "unknown shorthand", spec: { snapshotPolicies: [{ share: "/a", interval: "@monthly" }] }, field: "spec.snapshotPolicies[0].interval", message: "@hourly, @daily, @weekly" },
  { name: "negative keepLast", spec: { snapshotPolicies: [{ share: "/a", interval: "1h", keepLast: -1 }] }, field: "spec.snapshotPolicies[0].keepLast", message: "greater than or equal to 0" },
  { name: "negative ttl", spec: { snapshotPolicies: [{ share: "/a", interval: "1h", ttl: "-1h" }] }, field: "spec.snapshotPolicies[0].ttl", message: "ttl must be a non-negative Go duration" },
  { name: "ttl without unit", spec: { snapshotPolicies: [{ share: "/a", interval: "1h", ttl: "30" }] }, field: "spec.snapshotPolicies[0].ttl", message: "ttl must be a non-negative Go duration" },
  { name: "namePrefix with a space", spec: { snapshotPolicies: [{ share: "/a", interval: "1h", namePrefix: "my snaps" }] }, field: "spec.snapshotPolicies[0].namePrefix", message: "namePrefix may only contain" },
  { name: "empty share", spec: { snapshotPolicies: [{ share: "", interval: "1h" }] }, field: "spec.snapshotPolicies[0].share", message: "at least 1 chars long" },
  { name: "share of only slashes", spec: { snapshotPolicies: [{ share: "//", interval: "1h" }] }, field: "spec.snapshotPolicies[0].share", message: "should match" },
  {
    name: "two policies for one share",
    spec: { snapshotPolicies: [{ share: "/a", interval: "1h" }, { share: "a", interval: "2h" }] },
    field: "spec.snapshotPolicies",
    message: "two policies for the same share",
  },
  {
    name: "operator client certificate without mTLS",
    spec: { controlPlane: { certSecretName: "api-cert", operatorClientCertSecretName: "operator-cert" } },
    field: "spec.controlPlane.operatorClientCertSecretName",
    message: "only used with clientCASecretName",
  },
];

describe("bad adapterDiscovery and snapshotPolicies values are rejected, naming the field", { concurrency: 4 }, () => {
  CASES.forEach((c, i) => {
    test(c.name, async () => {
      const body = dittoServer(`bad-${i}`, merge(MINIMAL_SPEC, c.spec ?? {}));
      const result = await rejection(api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body, dryRun: "All", fieldValidation: "Strict" }));
      assert.ok(result.code === 422 || result.code === 400, `unexpected HTTP ${result.code}: ${result.message}`);
      assertCause(result, c.field, c.message);
    });
  });
});
