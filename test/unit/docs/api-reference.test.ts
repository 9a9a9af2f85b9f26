/** docs/api-reference.md and the chart's CRD copy are generated: they must match what the generators produce now. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CHART_CRD_DIR, crdFileName, CRDS, crdYaml } from "../../../src/api/crd.ts";
import { API_REFERENCE_FILE, renderApiReference, renderKindReference } from "../../../hack/api-reference.ts";

const read = (file: string): string => readFileSync(fileURLToPath(new URL(`../../../${file}`, import.meta.url)), "utf8");

describe("generated docs", () => {
  it("docs/api-reference.md is current (npm run gen:docs)", () => {
    assert.ok(read(API_REFERENCE_FILE) === renderApiReference(), `${API_REFERENCE_FILE} is stale: run npm run gen:docs`);
  });

  it("the chart's CRDs are current (npm run gen:docs)", () => {
    for (const crd of CRDS) {
      const chart = read(`${CHART_CRD_DIR}/${crdFileName(crd)}`);
      assert.ok(chart === crdYaml(crd), `${CHART_CRD_DIR}/${crdFileName(crd)} is stale: run npm run gen:docs`);
    }
  });

  it("has one section per CRD, in their order", () => {
    const titles = [...renderApiReference().matchAll(/^# (\w+) API reference/gm)].map((m) => m[1]);
    assert.deepEqual(titles, CRDS.map((c) => c.kind));
  });

  it("documents the real schema: known fields with their defaults", () => {
    const doc = renderApiReference();
    assert.match(doc, /^\| `spec\.replicas` \| integer \(int32\) \| `1` \| ≥ 0; ≤ 1 \|/m);
    assert.match(doc, /^\| `spec\.storage\.metadataSize` \| string \| {2}\| required; pattern/m);
    assert.match(doc, /^\| `status\.conditions` \|/m);
  });
});

describe("renderApiReference", () => {
  const schema = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        description: "The spec.",
        required: ["size"],
        "x-kubernetes-validations": [{ rule: "self.a != self.b", message: "a and b differ" }],
        properties: {
          size: { type: "string", description: "How big | really.", pattern: "^[0-9]+Gi$" },
          mode: { type: "string", enum: ["fast", "safe"], default: "safe" },
          tags: { type: "array", maxItems: 3, items: { type: "object", properties: { key: { type: "string", maxLength: 63 } } } },
          labels: { type: "object", additionalProperties: { type: "string" } },
        },
      },
    },
  };
  const doc = renderKindReference({ kind: "Widget", shortNames: ["wd"] }, schema);

  it("one row per field path with type, default, validation and escaped description", () => {
    assert.ok(doc.includes("| `spec.size` | string |  | required; pattern `^[0-9]+Gi$` | How big \\| really. |"), doc);
    assert.ok(doc.includes("| `spec.mode` | string | `safe` | one of `fast`, `safe` |  |"), doc);
    assert.ok(doc.includes("| `spec.tags` | []object |  | items ≤ 3 |  |"), doc);
    assert.ok(doc.includes("| `spec.tags[].key` | string |  | length ≤ 63 |  |"), doc);
    assert.ok(doc.includes("| `spec.labels` | map[string]string |  |  |  |"), doc);
  });

  it("lists CEL rules with their path and message", () => {
    assert.ok(doc.includes("| `spec` | `self.a != self.b` | a and b differ |"), doc);
  });

  it("has no status section when the schema has no status", () => {
    assert.ok(!doc.includes("## status"));
  });
});
