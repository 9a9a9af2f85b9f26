import { test } from "node:test";
import assert from "node:assert/strict";
import { obsoleteChildren } from "../../../src/dittoserver/children.ts";
import { apiService, desiredServiceMonitor, desiredServices, fileService, headlessService, metricsService } from "../../../src/dittoserver/services.ts";
import { desiredPerconaCluster, perconaReady, perconaState } from "../../../src/dittoserver/percona.ts";
import { asList, at, server } from "./fixtures.ts";

const selector = { "app.kubernetes.io/name": "dittofs", "app.kubernetes.io/instance": "fs1", "app.kubernetes.io/component": "file-server" };

test("headless Service: clusterIP None, not-ready addresses published, API port", () => {
  const s = headlessService(server());
  assert.equal(s.metadata.name, "fs1-headless");
  assert.equal(at(s, "spec", "clusterIP"), "None");
  assert.equal(at(s, "spec", "publishNotReadyAddresses"), true);
  assert.deepEqual(at(s, "spec", "ports"), [{ name: "api", port: 8080, targetPort: 8080, protocol: "TCP" }]);
  assert.deepEqual(at(s, "spec", "selector"), selector);
});

test("API Service: ClusterIP by default, spec type and annotations, no clusterIP/nodePort", () => {
  const plain = apiService(server());
  assert.equal(at(plain, "spec", "type"), "ClusterIP");
  assert.equal(plain.metadata.annotations, undefined);
  assert.equal(at(plain, "spec", "clusterIP"), undefined);
  const lb = apiService(server({ service: { type: "LoadBalancer", annotations: { "lb/internal": "true" } }, controlPlane: { port: 9443 } }));
  assert.equal(at(lb, "spec", "type"), "LoadBalancer");
  assert.deepEqual(lb.metadata.annotations, { "lb/internal": "true" });
  assert.equal(at(lb, "spec", "ports", 0, "port"), 9443);
  for (const p of asList(at(lb, "spec", "ports"))) assert.equal(p.nodePort, undefined);
  // The builder's own fallback when `type` is missing (e.g. an object stored before the default existed).
  const legacy = server();
  delete (legacy.spec.service as { type?: string }).type;
  assert.equal(at(apiService(legacy), "spec", "type"), "ClusterIP");
});

test("removed annotations disappear from the desired object (SSA then removes them)", () => {
  assert.deepEqual(apiService(server({ service: { annotations: { a: "1", b: "2" } } })).metadata.annotations, { a: "1", b: "2" });
  assert.deepEqual(apiService(server({ service: { annotations: { a: "1" } } })).metadata.annotations, { a: "1" });
});

test("metrics Service only when enabled; scrape annotations only without a token", () => {
  assert.equal(metricsService(server()), undefined);
  const open = metricsService(server({ metrics: { enabled: true, port: 9100, path: "/m" } }));
  assert.equal(open?.metadata.name, "fs1-metrics");
  assert.equal(at(open, "spec", "type"), "ClusterIP");
  assert.deepEqual(at(open, "spec", "ports"), [{ name: "metrics", port: 9100, targetPort: 9100, protocol: "TCP" }]);
  assert.deepEqual(open?.metadata.annotations, { "prometheus.io/scrape": "true", "prometheus.io/port": "9100", "prometheus.io/path": "/m" });
  assert.equal(metricsService(server({ metrics: { enabled: true, bearerTokenSecret: { name: "t", key: "k" } } }))?.metadata.annotations, undefined);
});

test("file Service: LoadBalancer by default, NFS 12049 and SMB 1445 with numeric targets, annotations", () => {
  const f = fileService(server({ adapterServices: { annotations: { "metallb/pool": "files" } } }));
  assert.equal(f.metadata.name, "fs1-file");
  assert.equal(at(f, "spec", "type"), "LoadBalancer");
  assert.deepEqual(at(f, "spec", "ports"), [
    { name: "nfs", port: 12049, targetPort: 12049, protocol: "TCP" },
    { name: "smb", port: 1445, targetPort: 1445, protocol: "TCP" },
  ]);
  assert.deepEqual(f.metadata.annotations, { "metallb/pool": "files" });
  assert.equal(at(fileService(server({ adapterServices: { type: "NodePort" } })), "spec", "type"), "NodePort");
});

test("desired set, obsolete children and ServiceMonitor", () => {
  assert.deepEqual(desiredServices(server()).map((s) => s.metadata.name), ["fs1-headless", "fs1-api"]);
  assert.deepEqual(desiredServices(server({ metrics: { enabled: true } })).map((s) => s.metadata.name), ["fs1-headless", "fs1-api", "fs1-metrics"]);
  assert.deepEqual(obsoleteChildren(server()).map((c) => `${c.kind}/${c.name}`), ["Service/fs1-metrics", "ServiceMonitor/fs1-metrics"]);
  assert.deepEqual(obsoleteChildren(server({ metrics: { enabled: true, serviceMonitor: { enabled: true } } })), []);
  assert.equal(desiredServiceMonitor(server({ metrics: { enabled: true } })), undefined);
  const sm = desiredServiceMonitor(server({ metrics: { enabled: true, serviceMonitor: { enabled: true, interval: "30s", labels: { release: "prom" } }, bearerTokenSecret: { name: "t", key: "k" } } }));
  assert.equal(sm?.apiVersion, "monitoring.coreos.com/v1");
  assert.equal(sm?.metadata.labels?.release, "prom");
  assert.equal(at(sm, "spec", "selector", "matchLabels", "app.kubernetes.io/component"), "metrics");
  assert.deepEqual(at(sm, "spec", "namespaceSelector"), { matchNames: ["team-a"] });
  assert.deepEqual(at(sm, "spec", "endpoints"), [{ port: "metrics", path: "/metrics", scheme: "http", interval: "30s", bearerTokenSecret: { name: "t", key: "k" } }]);
  // The ServiceMonitor selects the metrics Service and nothing else.
  const metricsLabels = metricsService(server({ metrics: { enabled: true } }))!.metadata.labels!;
  const apiLabels = apiService(server()).metadata.labels!;
  const matches = (labels: Record<string, string>) => Object.entries(at(sm, "spec", "selector", "matchLabels") as Record<string, string>).every(([k, v]) => labels[k] === v);
  assert.equal(matches(metricsLabels), true);
  assert.equal(matches(apiLabels), false);
});

test("Percona cluster: version pins, instances, user, no backups by default", () => {
  assert.equal(desiredPerconaCluster(server()), undefined);
  const p = desiredPerconaCluster(server({ percona: { enabled: true, replicas: 3, storageSize: "20Gi", storageClassName: "fast", databaseName: "files" } }));
  assert.equal(p?.apiVersion, "pgv2.percona.com/v2");
  assert.equal(p?.kind, "PerconaPGCluster");
  assert.equal(p?.metadata.name, "fs1-postgres");
  assert.equal(at(p, "spec", "crVersion"), "2.8.0");
  assert.equal(at(p, "spec", "postgresVersion"), 16);
  assert.deepEqual(at(p, "spec", "instances"), [{
    name: "instance1", replicas: 3,
    dataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } }, storageClassName: "fast" },
  }]);
  assert.deepEqual(at(p, "spec", "users"), [{ name: "dittofs", databases: ["files"] }]);
  assert.deepEqual(at(p, "spec", "backups"), { enabled: false });
  assert.equal(p?.metadata.ownerReferences, undefined, "kept out of garbage collection unless deleteWithServer");
  assert.equal(p?.metadata.labels?.["app.kubernetes.io/instance"], "fs1");
  const owned = desiredPerconaCluster(server({ percona: { enabled: true, deleteWithServer: true } }));
  assert.equal(owned?.metadata.ownerReferences?.[0]?.controller, true);
});

test("Percona backups render schedules, S3 repo, credentials and retention", () => {
  const p = desiredPerconaCluster(server({
    percona: { enabled: true, backup: { enabled: true, bucket: "bk", endpoint: "s3.example", credentialsSecretRef: { name: "s3" }, retentionDays: 14 } },
  }));
  assert.deepEqual(at(p, "spec", "backups"), {
    pgbackrest: {
      global: {
        "repo1-path": "/pgbackrest/fs1/repo1",
        "repo1-s3-uri-style": "path",
        "repo1-storage-verify-tls": "y",
        "repo1-retention-full": "14",
        "repo1-retention-full-type": "time",
      },
      repos: [{ name: "repo1", s3: { bucket: "bk", endpoint: "s3.example", region: "eu-west-1" }, schedules: { full: "0 2 * * *", incremental: "0 * * * *" } }],
      configuration: [{ secret: { name: "s3" } }],
    },
  });
});

test("perconaReady only for state ready", () => {
  const obj = (status?: unknown) => ({ apiVersion: "pgv2.percona.com/v2", kind: "PerconaPGCluster", metadata: {}, ...(status ? { status } : {}) });
  assert.equal(perconaReady(obj({ state: "ready" })), true);
  assert.equal(perconaReady(obj({ state: "initializing" })), false);
  assert.equal(perconaReady(obj()), false);
  assert.equal(perconaReady(undefined), false);
  assert.equal(perconaState(obj({ state: 3 })), undefined);
});
