/**
 * The API server's structural defaulting, applied locally to the generated schema: for every object present,
 * each absent property with a `default` gets a copy of it, then defaulting recurses into the (possibly new)
 * value. Builders' tests use it to turn a minimal manifest into the object the operator would read; an
 * integration test checks it against what the real API server returns.
 */
import { DITTOSERVER_CRD, openAPIV3Schema } from "./crd.ts";
import type { JsonSchema } from "./structural.ts";
import type { DittoServer } from "./types.ts";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Returns a defaulted deep copy of `value`; the input is not modified. */
export function applyStructuralDefaults(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return isRecord(items) ? value.map((v) => applyStructuralDefaults(items, v)) : structuredClone(value);
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  const properties = isRecord(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : undefined;
  const mapValues = isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const [key, v] of Object.entries(value)) {
    const child = properties?.[key] ?? mapValues;
    out[key] = child ? applyStructuralDefaults(child, v) : structuredClone(v);
  }
  for (const [key, child] of Object.entries(properties ?? {})) {
    if (out[key] === undefined && "default" in child) out[key] = applyStructuralDefaults(child, structuredClone(child.default));
  }
  return out;
}

let rootSchema: JsonSchema | undefined;

/**
 * A DittoServer as the API server would store it: `input` (a manifest, e.g. a sample) with every schema default
 * applied. No validation happens here.
 */
export function withDefaults(input: unknown): DittoServer {
  rootSchema ??= openAPIV3Schema(DITTOSERVER_CRD);
  return applyStructuralDefaults(rootSchema, input) as DittoServer;
}
