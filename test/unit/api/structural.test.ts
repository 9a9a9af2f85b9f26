/** The TypeBox → structural conversion and the structural lint, on hand-made schemas. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Type } from "@sinclair/typebox";
import { IntOrString, StringEnum, StringMap } from "../../../src/api/schema/helpers.ts";
import { structuralViolations, toStructural } from "../../../src/api/structural.ts";
import type { JsonSchema } from "../../../src/api/structural.ts";

const json = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as JsonSchema;

test("literal unions become string enums, records become additionalProperties", () => {
  const out = toStructural(json(Type.Object({ e: StringEnum(["A", "B"], { description: "e" }), m: StringMap(Type.String(), "m", 4) })));
  assert.deepEqual((out.properties as Record<string, unknown>).e, { type: "string", description: "e", enum: ["A", "B"] });
  assert.deepEqual((out.properties as Record<string, unknown>).m, {
    type: "object",
    description: "m",
    maxProperties: 4,
    additionalProperties: { type: "string" },
  });
  assert.deepEqual(structuralViolations(out), []);
});

test("int-or-string keeps the only anyOf form the API server allows, with the string's pattern and length bound", () => {
  const out = toStructural(json(IntOrString({ pattern: "^[0-9]+$", description: "q" })));
  assert.deepEqual(out, {
    description: "q",
    "x-kubernetes-int-or-string": true,
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: "^[0-9]+$",
    // Without it the CEL cost estimate takes the string to be as long as a whole request.
    maxLength: 64,
  });
  assert.deepEqual(structuralViolations(out), []);
});

test("defaulted properties leave the required list, optional ones were never in it", () => {
  const out = toStructural(json(Type.Object({ a: Type.String({ default: "x" }), b: Type.String(), c: Type.Optional(Type.String()) })));
  assert.deepEqual(out.required, ["b"]);
});

test("unknown keywords and non-literal unions are refused, not passed through", () => {
  assert.throws(() => toStructural({ type: "string", uniqueItems: true }), /uniqueItems/);
  assert.throws(() => toStructural(json(Type.Union([Type.String(), Type.Number()]))), /only unions of string literals/);
  assert.throws(() => toStructural({ description: "untyped" }), /without a type/);
});

test("additionalProperties: false from a strict TypeBox object is stripped", () => {
  const out = toStructural(json(Type.Object({ a: Type.String() }, { additionalProperties: false })));
  assert.equal("additionalProperties" in out, false);
});

test("the lint finds every kind of violation", () => {
  const bad = {
    type: "object",
    properties: {
      untyped: { description: "x" },
      ref: { type: "object", $ref: "#/x" },
      closed: { type: "object", additionalProperties: false },
      both: { type: "object", properties: { a: { type: "string" } }, additionalProperties: { type: "string" } },
      unique: { type: "array", items: { type: "string" }, uniqueItems: true },
      union: { type: "string", anyOf: [{ type: "string" }] },
      constant: { type: "string", const: "x" },
      list: { type: "array" },
    },
  };
  const found = structuralViolations(bad);
  for (const fragment of [
    "untyped: missing type",
    "ref: forbidden keyword $ref",
    "closed: additionalProperties: false",
    "both: additionalProperties with properties",
    "unique: uniqueItems: true",
    "union: anyOf other than the int-or-string form",
    "constant: forbidden keyword const",
    "list: array without items",
  ]) {
    assert.ok(found.some((v) => v.endsWith(fragment)), `missing "${fragment}" in ${JSON.stringify(found)}`);
  }
});

test("int-or-string and preserve-unknown-fields nodes need no type", () => {
  assert.deepEqual(structuralViolations({ "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] }), []);
  assert.deepEqual(structuralViolations({ "x-kubernetes-preserve-unknown-fields": true }), []);
});
