import { test } from "node:test";
import assert from "node:assert/strict";
import { desiredStatefulSet, immutableFieldChanges, pvcExpansionPatch, storageChanges, volumeClaimTemplates, withExistingClaimTemplates } from "../../../src/dittoserver/statefulset.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { asJson, asList, at, server } from "./fixtures.ts";
import type { Json } from "./fixtures.ts";
import { restrictedViolations } from "./pod-security.ts";

function podSpec(sts: KubeObject): Json {
  return asJson(at(sts, "spec", "template", "spec"));
}
function container(sts: KubeObject): Json {
  return asList(podSpec(sts).containers)[0]!;
}
function env(sts: KubeObject): Json[] {
  return asList(container(sts).env);
}
function envNamed(sts: KubeObject, name: string): Json | undefined {
  return env(sts).find((e) => e.name === name);
}
const sts = (spec: Record<string, unknown> = {}, hash = "h1") => desiredStatefulSet(server(spec), hash);

test("StatefulSet shell: replicas, headless service, selector, retention, hash annotation", () => {
  const s = sts({}, "abc123");
  assert.equal(s.metadata.name, "fs1");
  assert.equal(at(s, "spec", "replicas"), 1);
  assert.equal(at(s, "spec", "serviceName"), "fs1-headless");
  assert.deepEqual(at(s, "spec", "selector", "matchLabels"), {
    "app.kubernetes.io/name": "dittofs", "app.kubernetes.io/instance": "fs1", "app.kubernetes.io/component": "file-server",
  });
  assert.deepEqual(at(s, "spec", "persistentVolumeClaimRetentionPolicy"), { whenDeleted: "Retain", whenScaled: "Retain" });
  assert.equal(at(s, "spec", "template", "metadata", "annotations", "dittofs.dittofs.com/config-hash"), "abc123");
  assert.equal(at(sts({ replicas: 0 }), "spec", "replicas"), 0);
});

test("container: command, args, image, preStop, exact probes on the API port", () => {
  const c = container(sts());
  assert.equal(c.name, "dittofs");
  assert.equal(c.image, "marmos91c/dittofs:v0.29.0");
  assert.deepEqual(c.command, ["/app/dfs"]);
  assert.deepEqual(c.args, ["start", "--foreground", "--config", "/config/config.yaml"]);
  assert.deepEqual(c.lifecycle, { preStop: { exec: { command: ["/bin/sh", "-c", "sleep 5"] } } });
  const timing = (p: unknown) => [at(p, "initialDelaySeconds"), at(p, "periodSeconds"), at(p, "timeoutSeconds"), at(p, "successThreshold"), at(p, "failureThreshold")];
  assert.deepEqual(timing(c.livenessProbe), [15, 10, 5, 1, 3]);
  assert.deepEqual(timing(c.readinessProbe), [10, 5, 5, 1, 3]);
  assert.deepEqual(timing(c.startupProbe), [0, 5, 5, 1, 30]);
  assert.deepEqual(at(c.livenessProbe, "httpGet"), { path: "/health", port: "api", scheme: "HTTP" });
  assert.deepEqual(at(c.readinessProbe, "httpGet"), { path: "/health/ready", port: "api", scheme: "HTTP" });
  assert.equal(at(container(sts({ controlPlane: { certSecretName: "tls" } })).startupProbe, "httpGet", "scheme"), "HTTPS");
  const mtls = container(sts({ controlPlane: { certSecretName: "tls", clientCASecretName: "ca" } }));
  assert.deepEqual(at(mtls.readinessProbe, "tcpSocket"), { port: "api" });
  assert.equal(at(mtls.readinessProbe, "httpGet"), undefined);
});

test("ports: api (+metrics), fixed NFS 12049 and SMB 1445, no adapter-* ports", () => {
  const ports = (s: KubeObject) => asList(container(s).ports).map((p) => `${String(p.name)}:${String(p.containerPort)}/${String(p.protocol)}`);
  assert.deepEqual(ports(sts()), ["api:8080/TCP", "nfs:12049/TCP", "smb:1445/TCP"]);
  assert.deepEqual(ports(sts({ controlPlane: { port: 9000 }, metrics: { enabled: true, port: 9100 } })), ["api:9000/TCP", "metrics:9100/TCP", "nfs:12049/TCP", "smb:1445/TCP"]);
});

test("volumes: config, writable /tmp, PVC mounts, Secret volumes per feature", () => {
  const mounts = (s: KubeObject) => Object.fromEntries(asList(container(s).volumeMounts).map((m) => [String(m.name), String(m.mountPath)]));
  assert.deepEqual(mounts(sts()), { config: "/config", tmp: "/tmp", metadata: "/data/metadata", controlplane: "/data/controlplane" });
  const full = sts({
    storage: { metadataSize: "10Gi", contentSize: "100Gi" },
    controlPlane: { certSecretName: "tls", clientCASecretName: "ca" },
    metrics: { enabled: true, bearerTokenSecret: { name: "mt", key: "token-key" } },
    identity: {
      kerberos: {
        enabled: true, servicePrincipal: "nfs/h@R", keytabSecretRef: { name: "kt", key: "k" }, krb5ConfSecretRef: { name: "k5", key: "c" },
        machineAccount: { enabled: true, accountName: "A$", keytabSecretRef: { name: "mk", key: "m" } },
      },
    },
  });
  assert.deepEqual(mounts(full), {
    config: "/config", tmp: "/tmp", metadata: "/data/metadata", content: "/data/content", controlplane: "/data/controlplane",
    "tls-cert": "/tls", "tls-client-ca": "/tls-client-ca", "metrics-token": "/metrics-token",
    "kerberos-keytab": "/kerberos", "kerberos-krb5": "/kerberos-krb5", "kerberos-machine-keytab": "/kerberos-machine",
  });
  const volumes = asList(podSpec(full).volumes);
  const byName = (n: string) => volumes.find((v) => v.name === n);
  assert.deepEqual(at(byName("config"), "configMap"), { name: "fs1-config", items: [{ key: "config.yaml", path: "config.yaml" }] });
  assert.deepEqual(at(byName("tmp"), "emptyDir"), {});
  assert.deepEqual(at(byName("metrics-token"), "secret"), { secretName: "mt", defaultMode: 0o440, items: [{ key: "token-key", path: "token" }] });
  assert.deepEqual(at(byName("kerberos-keytab"), "secret", "items"), [{ key: "k", path: "dittofs.keytab" }]);
  for (const m of asList(container(full).volumeMounts)) {
    assert.equal(m.subPath, undefined, "no subPath: Secret updates must propagate");
    if (String(m.name).includes("tls") || String(m.name).includes("kerberos") || m.name === "metrics-token" || m.name === "config") assert.equal(m.readOnly, true);
  }
  assert.equal(byName("metadata"), undefined, "claim-backed volumes come from volumeClaimTemplates");
});

test("volumeClaimTemplates: order, sizes, class when set", () => {
  const plain = volumeClaimTemplates(server());
  assert.deepEqual(plain.map((c) => at(c, "metadata", "name")), ["metadata", "controlplane"]);
  assert.equal(at(plain[1], "spec", "resources", "requests", "storage"), "1Gi");
  assert.equal(at(plain[0], "spec", "storageClassName"), undefined);
  const classy = volumeClaimTemplates(server({ storage: { metadataSize: "5Gi", contentSize: "50Gi", controlPlaneSize: "2Gi", storageClassName: "fast" } }));
  assert.deepEqual(classy.map((c) => [at(c, "metadata", "name"), at(c, "spec", "resources", "requests", "storage"), at(c, "spec", "storageClassName"), at(c, "spec", "accessModes")]), [
    ["metadata", "5Gi", "fast", ["ReadWriteOnce"]],
    ["content", "50Gi", "fast", ["ReadWriteOnce"]],
    ["controlplane", "2Gi", "fast", ["ReadWriteOnce"]],
  ]);
});

test("security: restricted passes by default, with Percona's init container, and with user additions", () => {
  assert.deepEqual(restrictedViolations(podSpec(sts())), []);
  assert.deepEqual(restrictedViolations(podSpec(sts({ percona: { enabled: true } }))), []);
  const user = sts({ securityContext: { capabilities: { add: ["NET_BIND_SERVICE"] } }, podSecurityContext: { fsGroup: 2000 } });
  assert.deepEqual(restrictedViolations(podSpec(user)), []);
  assert.equal(at(podSpec(user), "securityContext", "fsGroup"), 2000);
  assert.equal(at(podSpec(user), "securityContext", "runAsUser"), 65532);
  assert.deepEqual(at(container(user), "securityContext", "capabilities"), { drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
  assert.equal(at(container(sts()), "securityContext", "readOnlyRootFilesystem"), true);
  assert.equal(podSpec(sts()).automountServiceAccountToken, false);
  assert.equal(podSpec(sts()).enableServiceLinks, false);
  assert.ok(restrictedViolations(podSpec(sts({ securityContext: { allowPrivilegeEscalation: true } }))).length > 0);
});

test("env: secrets only through secretKeyRef; admin password required, not optional", () => {
  const s = sts({ identity: { ldap: { enabled: true, url: "ldap://x", baseDN: "a", bindDN: "b", bindPasswordSecretRef: { name: "ldap", key: "pw" } } } });
  for (const e of env(s)) {
    if (String(e.name).startsWith("DITTOFS_") && e.name !== "DITTOFS_DATABASE_TYPE") {
      assert.equal(e.value, undefined, `${String(e.name)} must not carry a literal value`);
      assert.ok(at(e, "valueFrom", "secretKeyRef"), `${String(e.name)} must use secretKeyRef`);
    }
  }
  assert.deepEqual(at(envNamed(s, "DITTOFS_ADMIN_INITIAL_PASSWORD"), "valueFrom", "secretKeyRef"), { name: "fs1-admin-bootstrap-credentials", key: "password" });
  assert.deepEqual(at(envNamed(s, "DITTOFS_CONTROLPLANE_SECRET"), "valueFrom", "secretKeyRef"), { name: "fs1-jwt-secret", key: "jwt-secret" });
  assert.deepEqual(at(envNamed(s, "DITTOFS_LDAP_BIND_PASSWORD"), "valueFrom", "secretKeyRef"), { name: "ldap", key: "pw" });
  assert.equal(envNamed(s, "DITTOFS_DATABASE_TYPE"), undefined, "sqlite needs no database env");
  const user = sts({ identity: { jwt: { secretRef: { name: "j", key: "k" } }, admin: { passwordSecretRef: { name: "a", key: "p" } } } });
  assert.deepEqual(at(envNamed(user, "DITTOFS_ADMIN_INITIAL_PASSWORD"), "valueFrom", "secretKeyRef"), { name: "a", key: "p" });
  assert.deepEqual(at(envNamed(user, "DITTOFS_CONTROLPLANE_SECRET"), "valueFrom", "secretKeyRef"), { name: "j", key: "k" });
  const machine = sts({ identity: { kerberos: { enabled: true, servicePrincipal: "n/h@R", keytabSecretRef: { name: "k", key: "t" }, machineAccount: { enabled: true, accountName: "A$", secretRef: { name: "ma", key: "pw" } } } } });
  assert.deepEqual(at(envNamed(machine, "DITTOFS_KERBEROS_MACHINE_ACCOUNT_SECRET"), "valueFrom", "secretKeyRef"), { name: "ma", key: "pw" });
});

test("env: external postgres through the key map; port and sslmode optional", () => {
  const s = sts({ database: { postgresSecretRef: { name: "pg", keys: { host: "PGHOST", database: "db" } } } });
  assert.equal(envNamed(s, "DITTOFS_DATABASE_TYPE")?.value, "postgres");
  const ref = (n: string) => at(envNamed(s, n), "valueFrom", "secretKeyRef");
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_HOST"), { name: "pg", key: "PGHOST" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_DATABASE"), { name: "pg", key: "db" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_USER"), { name: "pg", key: "user" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_PASSWORD"), { name: "pg", key: "password" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_PORT"), { name: "pg", key: "port", optional: true });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_SSLMODE"), { name: "pg", key: "sslmode", optional: true });
  assert.equal(asList(podSpec(s).initContainers).length, 0);
});

test("env: Percona maps the pguser Secret (not DATABASE_URL) and waits for PostgreSQL with a bound", () => {
  const s = sts({ percona: { enabled: true } });
  const ref = (n: string) => at(envNamed(s, n), "valueFrom", "secretKeyRef");
  const secret = "fs1-postgres-pguser-dittofs";
  assert.equal(envNamed(s, "DITTOFS_DATABASE_TYPE")?.value, "postgres");
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_HOST"), { name: secret, key: "host" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_PORT"), { name: secret, key: "port" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_DATABASE"), { name: secret, key: "dbname" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_USER"), { name: secret, key: "user" });
  assert.deepEqual(ref("DITTOFS_DATABASE_POSTGRES_PASSWORD"), { name: secret, key: "password" });
  assert.equal(envNamed(s, "DATABASE_URL"), undefined);
  const init = asList(podSpec(s).initContainers);
  assert.equal(init.length, 1);
  assert.equal(init[0]!.name, "wait-for-postgres");
  assert.equal(init[0]!.image, "postgres:16-alpine");
  const script = (init[0]!.command as string[]).join(" ");
  assert.match(script, /timeout 300 /);
  assert.match(script, /pg_isready/);
  assert.doesNotMatch(script, /\$\(/, "no $( — the kubelet would expand it");
  assert.ok(!asList(init[0]!.env).some((e) => e.name === "PGPASSWORD"));
});

test("grace period: derived from shutdownTimeout unless set", () => {
  assert.equal(podSpec(sts()).terminationGracePeriodSeconds, 105);
  assert.equal(podSpec(sts({ shutdownTimeout: "1m" })).terminationGracePeriodSeconds, 5 + 3 * 60 + 10);
  assert.equal(podSpec(sts({ shutdownTimeout: "10s" })).terminationGracePeriodSeconds, 45);
  assert.equal(podSpec(sts({ terminationGracePeriodSeconds: 300 })).terminationGracePeriodSeconds, 300);
});

test("scheduling knobs and pod metadata pass through; the selector labels cannot be overridden", () => {
  const s = sts({
    imagePullPolicy: "IfNotPresent",
    imagePullSecrets: [{ name: "reg" }],
    nodeSelector: { disk: "ssd" },
    tolerations: [{ key: "storage", operator: "Exists", effect: "NoSchedule" }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }] } } },
    priorityClassName: "high",
    podLabels: { team: "x", "app.kubernetes.io/instance": "hijack" },
    podAnnotations: { note: "y", "dittofs.dittofs.com/config-hash": "forged" },
    resources: { requests: { cpu: "500m", memory: "1Gi" } },
  }, "real");
  const p = podSpec(s);
  assert.deepEqual(p.imagePullSecrets, [{ name: "reg" }]);
  assert.deepEqual(p.nodeSelector, { disk: "ssd" });
  assert.equal(asList(p.tolerations)[0]!.key, "storage");
  assert.ok(at(p, "affinity", "nodeAffinity"));
  assert.equal(p.priorityClassName, "high");
  assert.equal(container(s).imagePullPolicy, "IfNotPresent");
  assert.deepEqual(container(s).resources, { requests: { cpu: "500m", memory: "1Gi" } });
  assert.equal(at(s, "spec", "template", "metadata", "labels", "team"), "x");
  assert.equal(at(s, "spec", "template", "metadata", "labels", "app.kubernetes.io/instance"), "fs1");
  assert.equal(at(s, "spec", "template", "metadata", "annotations", "note"), "y");
  assert.equal(at(s, "spec", "template", "metadata", "annotations", "dittofs.dittofs.com/config-hash"), "real");
  const bare = podSpec(sts());
  for (const k of ["imagePullSecrets", "nodeSelector", "tolerations", "affinity", "priorityClassName"]) assert.equal(bare[k], undefined, k);
});

/** An STS as the API server returns it: server-added fields on the claim templates. */
function stored(spec: Record<string, unknown>): KubeObject {
  const s = sts(spec);
  const templates = asList(at(s, "spec", "volumeClaimTemplates")).map((t) => ({
    apiVersion: "v1", kind: "PersistentVolumeClaim", ...t, spec: { ...asJson(t.spec), volumeMode: "Filesystem" }, status: { phase: "Pending" },
  }));
  return { ...s, spec: { ...asJson(s.spec), volumeClaimTemplates: templates } };
}

test("storageChanges: growth is an expansion, everything else is refused", () => {
  const existing = stored({ storage: { metadataSize: "10Gi", storageClassName: "fast" } });
  const same = storageChanges(sts({ storage: { metadataSize: "10Gi", storageClassName: "fast" } }), existing);
  assert.deepEqual(same, { expansions: [], forbidden: [] });
  const sameBytes = storageChanges(sts({ storage: { metadataSize: "10240Mi", storageClassName: "fast" } }), existing);
  assert.deepEqual(sameBytes, { expansions: [], forbidden: [] }, "equal quantities in other units are no change");

  const grow = storageChanges(sts({ storage: { metadataSize: "20Gi", controlPlaneSize: "2Gi", storageClassName: "fast" } }), existing);
  assert.deepEqual(grow.expansions, [{ claim: "metadata", from: "10Gi", to: "20Gi" }, { claim: "controlplane", from: "1Gi", to: "2Gi" }]);
  assert.deepEqual(grow.forbidden, []);

  const shrink = storageChanges(sts({ storage: { metadataSize: "5Gi", storageClassName: "fast" } }), existing);
  assert.deepEqual(shrink.forbidden.map((f) => [f.claim, f.field]), [["metadata", "size"]]);
  assert.match(shrink.forbidden[0]!.message, /cannot shrink from 10Gi to 5Gi/);

  const klass = storageChanges(sts({ storage: { metadataSize: "10Gi", storageClassName: "slow" } }), existing);
  assert.deepEqual(klass.forbidden.map((f) => [f.claim, f.field]), [["metadata", "storageClassName"], ["controlplane", "storageClassName"]]);

  const added = storageChanges(sts({ storage: { metadataSize: "10Gi", contentSize: "1Ti", storageClassName: "fast" } }), existing);
  assert.deepEqual(added.forbidden.map((f) => [f.claim, f.field]), [["content", "presence"]]);
  const removed = storageChanges(sts({ storage: { metadataSize: "10Gi", storageClassName: "fast" } }), stored({ storage: { metadataSize: "10Gi", contentSize: "1Ti", storageClassName: "fast" } }));
  assert.deepEqual(removed.forbidden.map((f) => [f.claim, f.field]), [["content", "presence"]]);

  const defaultClass = storageChanges(sts({ storage: { metadataSize: "10Gi" } }), existing);
  assert.deepEqual(defaultClass, { expansions: [], forbidden: [] }, "no class requested: the stored one stands");
});

test("withExistingClaimTemplates sends the stored templates back unchanged; immutable field check", () => {
  const existing = stored({ storage: { metadataSize: "10Gi" } });
  const desired = sts({ storage: { metadataSize: "50Gi" } });
  const merged = withExistingClaimTemplates(desired, existing);
  assert.deepEqual(asList(at(merged, "spec", "volumeClaimTemplates")).map((t) => at(t, "spec", "resources", "requests", "storage")), ["10Gi", "1Gi"]);
  assert.equal(at(merged, "spec", "template", "metadata", "annotations", "dittofs.dittofs.com/config-hash"), "h1");
  assert.deepEqual(storageChanges(merged, existing), { expansions: [], forbidden: [] });
  assert.equal(withExistingClaimTemplates(desired, undefined), desired);
  assert.deepEqual(at(desired, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage"), "50Gi", "input untouched");

  assert.deepEqual(immutableFieldChanges(desired, existing), []);
  const reordered = { ...existing, spec: { ...asJson(existing.spec), selector: { matchLabels: Object.fromEntries(Object.entries(asJson(at(existing, "spec", "selector", "matchLabels"))).reverse()) } } };
  assert.deepEqual(immutableFieldChanges(desired, reordered), [], "label order is irrelevant");
  const legacy = { ...existing, spec: { ...asJson(existing.spec), selector: { matchLabels: { app: "dittofs-server", instance: "fs1" } }, serviceName: "other" } };
  assert.deepEqual(immutableFieldChanges(desired, legacy), ["spec.selector", "spec.serviceName"]);
  assert.deepEqual(pvcExpansionPatch("20Gi"), { spec: { resources: { requests: { storage: "20Gi" } } } });
});
