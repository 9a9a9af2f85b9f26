/** Derived meanings of the API: effective database, HTTPS, grace period. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  apiRequiresClientCert,
  apiServesHttps,
  durationSeconds,
  effectiveDatabase,
  terminationGracePeriodSeconds,
} from "../../../src/api/derived.ts";
import { withDefaults } from "../../../src/api/defaulting.ts";

const spec = (extra: Record<string, unknown>) =>
  withDefaults({ apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", metadata: {}, spec: { storage: { metadataSize: "1Gi" }, ...extra } }).spec;

test("effective database: sqlite by default, postgres from a Secret or from Percona", () => {
  assert.deepEqual(effectiveDatabase(spec({})), { type: "sqlite", path: "/data/controlplane/controlplane.db" });
  assert.deepEqual(effectiveDatabase(spec({ database: { sqlite: { path: "/data/controlplane/x.db" } } })), { type: "sqlite", path: "/data/controlplane/x.db" });
  const fromSecret = effectiveDatabase(spec({ database: { postgresSecretRef: { name: "pg" } } }));
  assert.equal(fromSecret.type, "postgres");
  assert.equal(fromSecret.type === "postgres" && fromSecret.source === "secret" ? fromSecret.secretRef.keys.host : "", "host");
  assert.deepEqual(effectiveDatabase(spec({ percona: { enabled: true } })), { type: "postgres", source: "percona" });
  assert.equal(effectiveDatabase(spec({ percona: { enabled: false } })).type, "sqlite");
});

test("HTTPS follows certSecretName; mTLS needs both Secrets", () => {
  assert.equal(apiServesHttps(spec({})), false);
  assert.equal(apiServesHttps(spec({ controlPlane: { certSecretName: "c" } })), true);
  assert.equal(apiRequiresClientCert(spec({ controlPlane: { certSecretName: "c" } })), false);
  assert.equal(apiRequiresClientCert(spec({ controlPlane: { certSecretName: "c", clientCASecretName: "ca" } })), true);
});

test("durations in h/m/s units", () => {
  assert.equal(durationSeconds("30s"), 30);
  assert.equal(durationSeconds("1m30s"), 90);
  assert.equal(durationSeconds("168h"), 604800);
  assert.throws(() => durationSeconds("30"), /invalid duration/);
  assert.throws(() => durationSeconds("1d"), /invalid duration/);
  assert.throws(() => durationSeconds("5s junk"), /invalid duration/);
});

test("grace period: 5 + 3 × shutdownTimeout + 10 unless set", () => {
  assert.equal(terminationGracePeriodSeconds(spec({})), 105);
  assert.equal(terminationGracePeriodSeconds(spec({ shutdownTimeout: "1m" })), 195);
  assert.equal(terminationGracePeriodSeconds(spec({ terminationGracePeriodSeconds: 300 })), 300);
});
