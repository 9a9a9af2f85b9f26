/**
 * The generated CRD on the real kube-apiserver: it installs structural and Established, every sample is
 * accepted and stored exactly as the local defaulting predicts, the server's defaults are DEFAULTS,
 * `kubectl explain` documents the fields and `kubectl get` prints the columns.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CRD_NAME, DEFAULT_IMAGE, PLURAL } from "../../../src/api/constants.ts";
import { DEFAULTS } from "../../../src/api/defaults.ts";
import { withDefaults } from "../../../src/api/defaulting.ts";
import type { DittoServer } from "../../../src/api/types.ts";
import { createTestNamespace, kubectl } from "../../controlplane/testenv.ts";
import { crdCoordinates, customObjects, dittoServer, installCrd, MINIMAL_SPEC, readSamples } from "./support.ts";

const api = customObjects();
let namespace = "";
let cleanup: (() => Promise<void>) | undefined;

before(async () => {
  await installCrd();
  const ns = await createTestNamespace("api-crd");
  namespace = ns.name;
  cleanup = () => ns.delete();
});
after(async () => cleanup?.());

test("the CRD is Established, its names accepted, and structural", async () => {
  const got = await kubectl(["get", "crd", CRD_NAME, "-o", "json"]);
  assert.equal(got.code, 0, got.stderr);
  const crd = JSON.parse(got.stdout) as { status: { conditions: { type: string; status: string; message: string }[] } };
  const byType = new Map(crd.status.conditions.map((c) => [c.type, c]));
  assert.equal(byType.get("Established")?.status, "True");
  assert.equal(byType.get("NamesAccepted")?.status, "True");
  assert.equal(byType.get("NonStructuralSchema"), undefined, `NonStructuralSchema: ${byType.get("NonStructuralSchema")?.message ?? ""}`);
});

describe("samples", async () => {
  const samples = await readSamples();
  test("there are samples", () => {
    assert.ok(samples.length >= 8, `only ${samples.length} samples`);
  });
  for (const { file, object } of samples) {
    test(`${file} is accepted and stored as withDefaults() predicts`, async () => {
      const created = (await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body: object, fieldValidation: "Strict" })) as DittoServer;
      assert.deepEqual(created.spec, withDefaults(object).spec);
    });
  }
});

describe("defaults applied by the API server", () => {
  test("a minimal DittoServer gets the top-level defaults", async () => {
    const created = (await api.createNamespacedCustomObject({
      ...crdCoordinates,
      namespace,
      body: dittoServer("defaults-minimal", MINIMAL_SPEC),
    })) as DittoServer;
    const spec = created.spec;
    assert.equal(spec.image, DEFAULT_IMAGE);
    assert.equal(spec.image, DEFAULTS.image);
    assert.equal(spec.replicas, DEFAULTS.replicas);
    assert.equal(spec.shutdownTimeout, DEFAULTS.shutdownTimeout);
    assert.equal(spec.storage.controlPlaneSize, DEFAULTS.storage.controlPlaneSize);
    assert.deepEqual(spec.controlPlane, DEFAULTS.controlPlane);
    assert.deepEqual(spec.service, DEFAULTS.service);
    assert.deepEqual(spec.adapterServices, DEFAULTS.adapterServices);
    // Optional parents without an object default stay absent; builders fall back to DEFAULTS.
    assert.equal(spec.percona, undefined);
    assert.equal(spec.metrics, undefined);
    assert.equal(spec.terminationGracePeriodSeconds, undefined);
  });

  test("empty optional objects get every nested default", async () => {
    const body = dittoServer("defaults-nested", {
      ...MINIMAL_SPEC,
      database: { sqlite: {} },
      identity: { jwt: {}, kerberos: { machineAccount: {} } },
      metrics: { serviceMonitor: {} },
      logging: {},
      percona: { backup: {} },
    });
    const { spec } = (await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body })) as DittoServer;
    assert.deepEqual(spec.database, { sqlite: DEFAULTS.database.sqlite });
    assert.deepEqual(spec.identity?.jwt, DEFAULTS.identity.jwt);
    assert.deepEqual(spec.identity?.kerberos, DEFAULTS.identity.kerberos);
    assert.deepEqual(spec.metrics, DEFAULTS.metrics);
    assert.deepEqual(spec.logging, DEFAULTS.logging);
    assert.deepEqual(spec.percona, DEFAULTS.percona);
  });

  test("a postgres Secret reference gets the default key names", async () => {
    const body = dittoServer("defaults-postgres", { ...MINIMAL_SPEC, database: { postgresSecretRef: { name: "pg", keys: { password: "pw" } } } });
    const { spec } = (await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body })) as DittoServer;
    assert.deepEqual(spec.database?.postgresSecretRef?.keys, { ...DEFAULTS.database.postgresSecretRef.keys, password: "pw" });
  });
});

test("kubectl explain documents spec.percona", async () => {
  const got = await kubectl(["explain", "dittoserver.spec.percona"]);
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /Operator-managed PostgreSQL/);
  assert.match(got.stdout, /deleteWithServer\s+<boolean>/);
  assert.match(got.stdout, /Delete the PostgreSQL cluster/);
  assert.match(got.stdout, /backup\s+<Object>/);
  const backup = await kubectl(["explain", "dittoserver.spec.percona.backup.retentionDays"]);
  assert.match(backup.stdout, /Days full backups are kept/);
});

describe("kubectl get columns", () => {
  before(async () => {
    await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body: dittoServer("columns", MINIMAL_SPEC) });
    const current = (await api.getNamespacedCustomObject({ ...crdCoordinates, namespace, name: "columns" })) as Record<string, unknown>;
    await api.replaceNamespacedCustomObjectStatus({
      ...crdCoordinates,
      namespace,
      name: "columns",
      body: { ...current, status: { ready: "1/1", phase: "Running", availableReplicas: 1, nfsEndpoint: "10.0.0.7:12049" } },
    });
  });

  test("default columns: READY, STATUS, AGE", async () => {
    const got = await kubectl(["get", PLURAL, "columns"], { namespace });
    assert.equal(got.code, 0, got.stderr);
    const [header, row] = got.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
    assert.deepEqual(header, ["NAME", "READY", "STATUS", "AGE"]);
    assert.deepEqual(row?.slice(0, 3), ["columns", "1/1", "Running"]);
  });

  test("-o wide adds REPLICAS, AVAILABLE, NFS", async () => {
    const got = await kubectl(["get", PLURAL, "columns", "-o", "wide"], { namespace });
    assert.equal(got.code, 0, got.stderr);
    const [header, row] = got.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
    assert.deepEqual(header, ["NAME", "READY", "STATUS", "AGE", "REPLICAS", "AVAILABLE", "NFS"]);
    assert.deepEqual([row?.[0], row?.[4], row?.[5], row?.[6]], ["columns", "1", "1", "10.0.0.7:12049"]);
  });

  test("the short name works", async () => {
    const got = await kubectl(["get", "ditto", "columns", "-o", "name"], { namespace });
    assert.equal(got.stdout.trim(), `dittoserver.${crdCoordinates.group}/columns`);
  });
});
