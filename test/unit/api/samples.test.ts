/**
 * Every sample in deploy/samples parses against the schema: after local defaulting it satisfies the TypeBox
 * schema and carries no field the CRD does not declare (the API server would refuse it under strict validation).
 * The real API server's verdict is in test/integration/api/crd.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { Value } from "@sinclair/typebox/value";
import { parse } from "yaml";
import { DITTOSERVER_CRD, openAPIV3Schema } from "../../../src/api/crd.ts";
import { withDefaults } from "../../../src/api/defaulting.ts";
import { DittoServerSchema } from "../../../src/api/schema/dittoserver.ts";
import type { JsonSchema } from "../../../src/api/structural.ts";

const dir = new URL("../../../deploy/samples/", import.meta.url);
const all = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
/** The DittoServer samples; the other kinds' samples are checked by their own tests. */
const files = all.filter((f) => f.startsWith("dittoserver-"));

/** Paths in `value` the structural schema does not declare. */
function undeclared(schema: JsonSchema, value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => (schema.items ? undeclared(schema.items as JsonSchema, v, `${path}[${i}]`) : []));
  if (typeof value !== "object" || value === null || path === ".metadata") return [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const map = typeof schema.additionalProperties === "object" ? (schema.additionalProperties as JsonSchema) : undefined;
  return Object.entries(value).flatMap(([key, v]) => {
    const child = properties[key] ?? map;
    return child ? undeclared(child, v, `${path}.${key}`) : [`${path}.${key}`];
  });
}

test("the samples follow one naming scheme: <kind>-<name>.yaml holds <Kind> <name>", async () => {
  assert.ok(files.length >= 8);
  for (const file of all) {
    const sample = parse(await readFile(new URL(file, dir), "utf8")) as { kind: string; metadata: { name: string } };
    assert.equal(file, `${sample.kind.toLowerCase()}-${sample.metadata.name}.yaml`);
  }
});

test("the required variants exist", () => {
  for (const variant of ["minimal", "storage-class", "percona", "percona-backup", "tls", "metrics", "ldap", "stopped"]) {
    assert.ok(files.includes(`dittoserver-${variant}.yaml`), `missing sample ${variant}`);
  }
});

for (const file of files) {
  test(`${file} parses against the schema`, async () => {
    const sample = parse(await readFile(new URL(file, dir), "utf8")) as unknown;
    assert.deepEqual(undeclared(openAPIV3Schema(DITTOSERVER_CRD), sample, ""), []);
    const defaulted = withDefaults(sample);
    const errors = [...Value.Errors(DittoServerSchema, defaulted)].map((e) => `${e.path}: ${e.message}`);
    assert.deepEqual(errors, []);
  });
}

test("the schema check is not vacuous: a broken sample fails it", () => {
  const broken = withDefaults({ apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoServer", metadata: {}, spec: { storage: { metadataSize: "1GB" }, replicas: 3 } });
  const paths = [...Value.Errors(DittoServerSchema, broken)].map((e) => e.path);
  assert.ok(paths.includes("/spec/storage/metadataSize"), JSON.stringify(paths));
  assert.ok(paths.includes("/spec/replicas"), JSON.stringify(paths));
  assert.deepEqual(undeclared(openAPIV3Schema(DITTOSERVER_CRD), { spec: { storage: {}, notAField: {} } }, ""), [".spec.notAField"]);
});
