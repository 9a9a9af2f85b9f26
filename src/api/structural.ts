/**
 * TypeBox JSON Schema → Kubernetes structural schema, and a lint that proves a schema is structural.
 *
 * The conversion is a whitelist: every keyword it does not know makes it throw, so a new TypeBox construct can
 * never slip a non-structural keyword into the CRD unnoticed (the API server would only report it as a
 * `NonStructural` condition after install).
 */

export type JsonSchema = Record<string, unknown>;

/** Keywords copied as they are. */
const PASSTHROUGH = [
  "description",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "maxProperties",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-validations",
  "x-kubernetes-preserve-unknown-fields",
] as const;

/** Keywords TypeBox emits that mean nothing to the API server and are dropped. */
const DROPPED = new Set(["$id", "$schema", "$defs", "examples", "additionalProperties"]);

/** Keywords the conversion itself handles. */
const HANDLED = new Set([
  ...PASSTHROUGH,
  "type",
  "default",
  "properties",
  "required",
  "items",
  "patternProperties",
  "anyOf",
  "const",
  "enum",
  "x-kubernetes-int-or-string",
]);

function isObject(v: unknown): v is JsonSchema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function constOf(node: JsonSchema): string | undefined {
  return typeof node.const === "string" ? node.const : undefined;
}

/** Convert one TypeBox schema node (symbols already stripped by a JSON round-trip) into a structural node. */
export function toStructural(node: JsonSchema, path = "#"): JsonSchema {
  for (const key of Object.keys(node)) {
    if (DROPPED.has(key)) {
      if (key === "additionalProperties" && node[key] !== false) throw new Error(`${path}: additionalProperties schema unsupported; use StringMap`);
      continue;
    }
    if (!HANDLED.has(key)) throw new Error(`${path}: keyword "${key}" has no structural equivalent`);
  }
  const out: JsonSchema = {};
  if (node["x-kubernetes-int-or-string"] === true) {
    const members = Array.isArray(node.anyOf) ? (node.anyOf as JsonSchema[]) : [];
    const text = members.find((m) => m.type === "string");
    copy(node, out, ["description"]);
    out["x-kubernetes-int-or-string"] = true;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
    if (typeof text?.pattern === "string") out.pattern = text.pattern;
    // Bounds the string form for CEL cost estimates (the API server applies it to strings only).
    if (typeof text?.maxLength === "number") out.maxLength = text.maxLength;
    return out;
  }
  if (Array.isArray(node.anyOf)) {
    const values = (node.anyOf as JsonSchema[]).map(constOf);
    if (values.some((v) => v === undefined)) throw new Error(`${path}: only unions of string literals are supported`);
    out.type = "string";
    copy(node, out, ["description"]);
    out.enum = values;
  } else if (typeof node.const === "string") {
    out.type = "string";
    copy(node, out, ["description"]);
    out.enum = [node.const];
  } else {
    if (typeof node.type !== "string") throw new Error(`${path}: node without a type`);
    out.type = node.type;
    copy(node, out, ["description"]);
    if (Array.isArray(node.enum)) out.enum = node.enum;
  }
  copy(node, out, PASSTHROUGH.filter((k) => k !== "description"));
  if ("default" in node) out.default = node.default;

  if (isObject(node.properties)) {
    const properties: JsonSchema = {};
    for (const [name, child] of Object.entries(node.properties)) {
      properties[name] = toStructural(child as JsonSchema, `${path}.${name}`);
    }
    out.properties = properties;
    // A defaulted property is always present after defaulting; listing it as required would only confuse
    // `kubectl explain` and clients that validate before sending.
    const required = (Array.isArray(node.required) ? (node.required as string[]) : []).filter(
      (name) => !("default" in (node.properties as Record<string, JsonSchema>)[name]!),
    );
    if (required.length > 0) out.required = required;
  }
  if (isObject(node.patternProperties)) {
    const values = Object.values(node.patternProperties);
    if (values.length !== 1) throw new Error(`${path}: maps must have one value schema`);
    out.additionalProperties = toStructural(values[0] as JsonSchema, `${path}.*`);
  }
  if (isObject(node.items)) out.items = toStructural(node.items, `${path}[]`);
  return out;
}

function copy(from: JsonSchema, to: JsonSchema, keys: readonly string[]): void {
  for (const key of keys) if (key in from) to[key] = from[key];
}

/** Keywords a structural schema must not contain (apiextensions v1 rules). */
const FORBIDDEN = [
  "$ref",
  "$defs",
  "$id",
  "$schema",
  "definitions",
  "dependencies",
  "deprecated",
  "discriminator",
  "id",
  "patternProperties",
  "readOnly",
  "writeOnly",
  "xml",
  "const",
  "examples",
  "oneOf",
  "allOf",
  "not",
];

/**
 * Structural-schema lint. Returns human-readable violations, empty when the schema is structural:
 * every node typed (except int-or-string / preserve-unknown nodes), no forbidden keyword, no
 * `additionalProperties: false`, no `additionalProperties` together with `properties`, no `uniqueItems: true`,
 * `anyOf` only as the int-or-string form.
 */
export function structuralViolations(node: unknown, path = "openAPIV3Schema"): string[] {
  if (!isObject(node)) return [`${path}: not a schema object`];
  const found: string[] = [];
  for (const key of FORBIDDEN) if (key in node) found.push(`${path}: forbidden keyword ${key}`);
  const intOrString = node["x-kubernetes-int-or-string"] === true;
  const preserve = node["x-kubernetes-preserve-unknown-fields"] === true;
  if (typeof node.type !== "string" || node.type === "") {
    if (!intOrString && !preserve) found.push(`${path}: missing type`);
  }
  if (node.additionalProperties === false) found.push(`${path}: additionalProperties: false`);
  if ("additionalProperties" in node && "properties" in node) found.push(`${path}: additionalProperties with properties`);
  if (node.uniqueItems === true) found.push(`${path}: uniqueItems: true`);
  if ("anyOf" in node) {
    const ok =
      intOrString &&
      Array.isArray(node.anyOf) &&
      (node.anyOf as unknown[]).every((m) => isObject(m) && Object.keys(m).length === 1 && (m.type === "integer" || m.type === "string"));
    if (!ok) found.push(`${path}: anyOf other than the int-or-string form`);
  }
  if (node.type === "array" && !isObject(node.items)) found.push(`${path}: array without items`);
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) found.push(...structuralViolations(child, `${path}.${name}`));
  }
  if (isObject(node.additionalProperties)) found.push(...structuralViolations(node.additionalProperties, `${path}.*`));
  if (isObject(node.items)) found.push(...structuralViolations(node.items, `${path}[]`));
  return found;
}

/** Paths of properties without a non-empty description (so `kubectl explain` is useful everywhere). */
export function undocumentedFields(node: JsonSchema, path = ""): string[] {
  const missing: string[] = [];
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      const childPath = `${path}.${name}`;
      if (!isObject(child) || typeof child.description !== "string" || child.description === "") missing.push(childPath);
      if (isObject(child)) missing.push(...undocumentedFields(child, childPath));
    }
  }
  if (isObject(node.items)) missing.push(...undocumentedFields(node.items, `${path}[]`));
  if (isObject(node.additionalProperties)) missing.push(...undocumentedFields(node.additionalProperties, `${path}.*`));
  return missing;
}
