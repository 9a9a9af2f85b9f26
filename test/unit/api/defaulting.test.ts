/** Local structural defaulting (the API server's algorithm) and DEFAULTS agree with the schema. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULTS } from "../../../src/api/defaults.ts";
import { applyStructuralDefaults, withDefaults } from "../../../src/api/defaulting.ts";

const manifest = (spec: Record<string, unknown>) => ({
  apiVersion: "dittofs.dittofs.com/v1alpha1",
  kind: "DittoServer",
  metadata: { name: "x" },
  spec: { storage: { metadataSize: "1Gi" }, ...spec },
});

test("top-level defaults and object defaults apply to a minimal manifest", () => {
  const { spec } = withDefaults(manifest({}));
  assert.equal(spec.image, DEFAULTS.image);
  assert.equal(spec.replicas, 1);
  assert.equal(spec.shutdownTimeout, "30s");
  assert.equal(spec.storage.controlPlaneSize, "1Gi");
  assert.deepEqual(spec.controlPlane, { port: 8080 });
  assert.deepEqual(spec.service, { type: "ClusterIP" });
  assert.deepEqual(spec.adapterServices, { type: "LoadBalancer" });
  assert.equal(spec.percona, undefined);
});

test("nested defaults apply only inside present parents and match DEFAULTS", () => {
  const { spec } = withDefaults(manifest({ percona: { backup: {} }, metrics: { serviceMonitor: {} }, logging: {}, identity: { jwt: {} } }));
  assert.deepEqual(spec.percona, DEFAULTS.percona);
  assert.deepEqual(spec.metrics, DEFAULTS.metrics);
  assert.deepEqual(spec.logging, DEFAULTS.logging);
  assert.deepEqual(spec.identity, { jwt: DEFAULTS.identity.jwt });
});

test("given values win and the input is not modified", () => {
  const input = manifest({ replicas: 0, service: { type: "NodePort" }, percona: { replicas: 3 } });
  const frozen = structuredClone(input);
  const { spec } = withDefaults(input);
  assert.equal(spec.replicas, 0);
  assert.equal(spec.service.type, "NodePort");
  assert.equal(spec.percona?.replicas, 3);
  assert.equal(spec.percona?.storageSize, DEFAULTS.percona.storageSize);
  assert.deepEqual(input, frozen);
});

test("defaults reach list items and map values", () => {
  const schema = {
    type: "object",
    properties: {
      list: { type: "array", items: { type: "object", properties: { a: { type: "string", default: "x" } } } },
      map: { type: "object", additionalProperties: { type: "object", properties: { b: { type: "integer", default: 1 } } } },
    },
  };
  assert.deepEqual(applyStructuralDefaults(schema, { list: [{}, { a: "y" }], map: { k: {} } }), {
    list: [{ a: "x" }, { a: "y" }],
    map: { k: { b: 1 } },
  });
});
