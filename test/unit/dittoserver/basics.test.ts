import { test } from "node:test";
import assert from "node:assert/strict";
import { childNames, nameProblems, pvcName, MAX_SERVER_NAME_LENGTH } from "../../../src/dittoserver/names.ts";
import { childMetadata, labelsFor, ownerReference, selectorLabels } from "../../../src/dittoserver/labels.ts";
import { containerProbes } from "../../../src/dittoserver/probes.ts";
import { containerSecurityContext, podSecurityContext } from "../../../src/dittoserver/security.ts";
import { restrictedViolations } from "./pod-security.ts";

const server = { metadata: { name: "fs1", namespace: "team", uid: "uid-1" } };

test("child names are derived deterministically", () => {
  const n = childNames("fs1");
  assert.deepEqual(
    [n.statefulSet, n.configMap, n.headlessService, n.apiService, n.metricsService, n.fileService, n.perconaCluster, n.perconaUserSecret, n.jwtSecret, n.adminSecret],
    ["fs1", "fs1-config", "fs1-headless", "fs1-api", "fs1-metrics", "fs1-file", "fs1-postgres", "fs1-postgres-pguser-dittofs", "fs1-jwt-secret", "fs1-admin-bootstrap-credentials"],
  );
  assert.equal(pvcName("fs1", "metadata"), "metadata-fs1-0");
});

test("name problems: too long or not a DNS-1035 label", () => {
  assert.deepEqual(nameProblems("fs1"), []);
  assert.equal(nameProblems("a".repeat(MAX_SERVER_NAME_LENGTH)).length, 0);
  assert.equal(nameProblems("a".repeat(MAX_SERVER_NAME_LENGTH + 1)).length, 1);
  assert.equal(nameProblems("1fs").length, 1);
  assert.equal(nameProblems("fs.one").length, 1);
  assert.ok(nameProblems("x".repeat(80))[0]!.includes("80 characters"));
});

test("labels, selector subset and owner reference", () => {
  const labels = labelsFor(server, "file-server");
  assert.deepEqual(labels, {
    "app.kubernetes.io/name": "dittofs",
    "app.kubernetes.io/instance": "fs1",
    "app.kubernetes.io/component": "file-server",
    "app.kubernetes.io/managed-by": "dittofs-operator",
    "app.kubernetes.io/part-of": "dittofs",
  });
  const selector = selectorLabels(server);
  for (const [k, v] of Object.entries(selector)) assert.equal(labelsFor(server, "file-server")[k], v);
  assert.ok(!("app.kubernetes.io/managed-by" in selector));
  assert.deepEqual(ownerReference(server), {
    apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", name: "fs1", uid: "uid-1", controller: true, blockOwnerDeletion: true,
  });
  assert.throws(() => ownerReference({ metadata: { name: "x" } }), /no metadata.uid/);
});

test("child metadata: our labels win over user labels; ownerReference optional", () => {
  const meta = childMetadata(server, "fs1-api", "api", {
    labels: { "app.kubernetes.io/instance": "evil", team: "a" },
    annotations: { a: "1" },
  });
  assert.equal(meta.labels["app.kubernetes.io/instance"], "fs1");
  assert.equal(meta.labels.team, "a");
  assert.deepEqual(meta.annotations, { a: "1" });
  assert.equal(meta.ownerReferences?.length, 1);
  assert.equal(childMetadata(server, "x", "database", { owned: false }).ownerReferences, undefined);
  assert.equal(childMetadata(server, "x", "api", { annotations: {} }).annotations, undefined);
});

test("probes: exact timings, HTTP / HTTPS / TCP by listener mode", () => {
  const http = containerProbes("http");
  assert.deepEqual(http.livenessProbe, {
    httpGet: { path: "/health", port: "api", scheme: "HTTP" },
    initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 3,
  });
  assert.deepEqual(http.readinessProbe, {
    httpGet: { path: "/health/ready", port: "api", scheme: "HTTP" },
    initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 3,
  });
  assert.deepEqual(http.startupProbe, {
    httpGet: { path: "/health", port: "api", scheme: "HTTP" },
    initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 30,
  });
  assert.equal(containerProbes("https").readinessProbe.httpGet?.scheme, "HTTPS");
  const mtls = containerProbes("mtls");
  for (const probe of [mtls.livenessProbe, mtls.readinessProbe, mtls.startupProbe]) {
    assert.deepEqual(probe.tcpSocket, { port: "api" });
    assert.equal(probe.httpGet, undefined);
  }
  assert.equal(mtls.startupProbe.failureThreshold, 30);
});

test("security contexts: defaults pass restricted; user fields win key by key", () => {
  const pod = podSecurityContext(undefined);
  assert.deepEqual(pod, {
    runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532,
    fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" },
  });
  const container = containerSecurityContext(undefined);
  assert.deepEqual(container, {
    allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
    capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
  });
  const spec = { securityContext: pod, containers: [{ name: "c", securityContext: container }] };
  assert.deepEqual(restrictedViolations(spec), []);

  const merged = containerSecurityContext({ capabilities: { add: ["NET_BIND_SERVICE"] }, readOnlyRootFilesystem: false });
  assert.deepEqual(merged.capabilities, { drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
  assert.equal(merged.readOnlyRootFilesystem, false);
  assert.equal(merged.allowPrivilegeEscalation, false);
  assert.deepEqual(restrictedViolations({ securityContext: pod, containers: [{ name: "c", securityContext: merged }] }), []);

  const podMerged = podSecurityContext({ fsGroup: 1000, seccompProfile: { type: "Localhost", localhostProfile: "p.json" } });
  assert.equal(podMerged.fsGroup, 1000);
  assert.equal(podMerged.runAsUser, 65532);
  assert.deepEqual(podMerged.seccompProfile, { type: "Localhost", localhostProfile: "p.json" });

  const relaxed = containerSecurityContext({ allowPrivilegeEscalation: true });
  assert.ok(restrictedViolations({ securityContext: pod, containers: [{ name: "c", securityContext: relaxed }] }).length > 0,
    "a deliberate relaxation is honoured and then detected");
});

test("security merge never mutates inputs", () => {
  const user = { capabilities: { add: ["NET_BIND_SERVICE"] } };
  const a = containerSecurityContext(user);
  a.capabilities!.drop!.push("X");
  assert.deepEqual(user, { capabilities: { add: ["NET_BIND_SERVICE"] } });
  assert.deepEqual(containerSecurityContext(undefined).capabilities, { drop: ["ALL"] });
});
