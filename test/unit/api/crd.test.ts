/** The committed CRDs are the generator's output, structural, fully documented, and their CEL rules are bounded. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { CRD_DIR, CRD_FILE, crdFileName, crdKustomizationYaml, CRDS, crdYaml, DITTOSERVER_CRD, GEN_CRD_COMMAND } from "../../../src/api/crd.ts";
import { structuralViolations, undocumentedFields } from "../../../src/api/structural.ts";
import type { JsonSchema } from "../../../src/api/structural.ts";

const committed = await readFile(new URL(`../../../${CRD_FILE}`, import.meta.url), "utf8");
const crd = parse(committed) as { spec: { versions: { schema: { openAPIV3Schema: JsonSchema } }[] } };
const schema = crd.spec.versions[0]!.schema.openAPIV3Schema;

const read = (file: string): Promise<string> => readFile(new URL(`../../../${CRD_DIR}/${file}`, import.meta.url), "utf8");

test("every committed CRD, and the kustomization listing them, equals a fresh generation", async () => {
  assert.ok(committed === crdYaml(DITTOSERVER_CRD), `${CRD_FILE} is stale: run \`${GEN_CRD_COMMAND}\` and commit the result`);
  for (const crd of CRDS) assert.ok((await read(crdFileName(crd))) === crdYaml(crd), `${CRD_DIR}/${crdFileName(crd)} is stale: run \`${GEN_CRD_COMMAND}\``);
  assert.ok((await read("kustomization.yaml")) === crdKustomizationYaml(), `${CRD_DIR}/kustomization.yaml is stale: run \`${GEN_CRD_COMMAND}\``);
});

function walk(node: JsonSchema, path: string, visit: (node: JsonSchema, path: string) => void): void {
  visit(node, path);
  for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, JsonSchema>)) walk(child, `${path}.${name}`, visit);
  if (node.items) walk(node.items as JsonSchema, `${path}[]`, visit);
  if (typeof node.additionalProperties === "object") walk(node.additionalProperties as JsonSchema, `${path}.*`, visit);
}

/** Checks every CRD must pass (the DittoServer's own specifics follow). */
for (const decl of CRDS) {
  const kind = decl.kind;
  const schema = (parse(await read(crdFileName(decl))) as typeof crd).spec.versions[0]!.schema.openAPIV3Schema;

  test(`${kind}: the committed schema is structural`, () => {
    assert.deepEqual(structuralViolations(schema), []);
  });

  test(`${kind}: every field has a description (kubectl explain)`, () => {
    assert.deepEqual(undocumentedFields(schema.properties ? (schema.properties as Record<string, JsonSchema>).spec! : {}, "spec"), []);
    assert.deepEqual(undocumentedFields((schema.properties as Record<string, JsonSchema>).status!, "status"), []);
  });

  test(`${kind}: every string, list and map is bounded (CEL cost estimates stay finite)`, () => {
    const unbounded: string[] = [];
    walk(schema, "", (node, path) => {
      // metadata is bounded by the API server itself; apiVersion and kind are checked before validation.
      if (path === "" || path.startsWith(".metadata") || path === ".apiVersion" || path === ".kind") return;
      if (node.type === "string" && node.maxLength === undefined && node.enum === undefined && node.format !== "date-time") unbounded.push(path);
      if (node.type === "array" && node.maxItems === undefined) unbounded.push(path);
      if (node.type === "object" && node.additionalProperties !== undefined && node.maxProperties === undefined) unbounded.push(path);
    });
    assert.deepEqual(unbounded, []);
  });

  test(`${kind}: defaulted properties are never listed as required`, () => {
    const offending: string[] = [];
    walk(schema, "", (node, path) => {
      const properties = (node.properties ?? {}) as Record<string, JsonSchema>;
      for (const name of (node.required ?? []) as string[]) if ("default" in properties[name]!) offending.push(`${path}.${name}`);
    });
    assert.deepEqual(offending, []);
  });
}

test("CEL rules carry a message and reference only declared reasons", () => {
  const reasons = new Set(["FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"]);
  let rules = 0;
  walk(schema, "", (node, path) => {
    for (const rule of (node["x-kubernetes-validations"] ?? []) as Record<string, string>[]) {
      rules++;
      assert.ok(rule.message ?? rule.messageExpression, `${path}: rule ${rule.rule} has no message`);
      if (rule.reason !== undefined) assert.ok(reasons.has(rule.reason), `${path}: reason ${rule.reason}`);
    }
  });
  assert.ok(rules >= 30, `expected the webhook-equivalent rules, found ${rules}`);
});

test("printer columns and subresources", () => {
  const version = crd.spec.versions[0] as unknown as {
    subresources: Record<string, unknown>;
    additionalPrinterColumns: { name: string; jsonPath: string; priority?: number }[];
  };
  assert.deepEqual(Object.keys(version.subresources), ["status"]);
  const columns = version.additionalPrinterColumns.map((c) => `${c.name}:${c.jsonPath}:${c.priority ?? 0}`);
  assert.deepEqual(columns, [
    "Ready:.status.ready:0",
    "Status:.status.phase:0",
    "Age:.metadata.creationTimestamp:0",
    "Replicas:.spec.replicas:1",
    "Available:.status.availableReplicas:1",
    "NFS:.status.nfsEndpoint:1",
  ]);
});
