/**
 * Deciding whether a child must be written at all. A reconcile of an unchanged DittoServer must make zero write
 * requests, so the reconciler applies a child only when (a) the desired object differs from the one it last
 * applied — a hash of it is kept in an annotation, which also catches fields we *removed* from the desired
 * object (server-side apply would drop them) — or (b) someone changed a field we set (drift). Pure.
 */
import { createHash } from "node:crypto";
import type { KubeObject } from "../runtime/objects.ts";

export const APPLIED_HASH_ANNOTATION = "dittofs.dittofs.com/applied-hash";

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A stable hash of a JSON value (key order does not matter). */
export function stableHash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(canonical(value))).digest("hex").slice(0, 32);
}

/** Go's zero values: the API server omits them (`omitempty`), so a 0 or "" we send reads back as absent. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/**
 * Every field set in `desired` has the same value in `observed` (extra fields in `observed`, such as defaults
 * the API server added, do not matter; an empty object or list, a 0 or "" we send equals an absent one).
 */
export function containsFields(observed: unknown, desired: unknown): boolean {
  if (desired === undefined || desired === null) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed)) return desired.length === 0 && observed === undefined;
    return desired.length === observed.length && desired.every((d, i) => containsFields(observed[i], d));
  }
  if (typeof desired === "object") {
    if (observed === undefined || observed === null) return isEmpty(desired);
    if (typeof observed !== "object" || Array.isArray(observed)) return false;
    const o = observed as Record<string, unknown>;
    return Object.entries(desired).every(([k, d]) => (o[k] === undefined ? isEmpty(d) : containsFields(o[k], d)));
  }
  return observed === desired;
}

/** The desired object stamped with the hash of itself (what the reconciler applies). */
export function withAppliedHash(desired: KubeObject): KubeObject {
  const hash = stableHash(desired);
  return { ...desired, metadata: { ...desired.metadata, annotations: { ...(desired.metadata.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: hash } } };
}

/** Must `stamped` (from `withAppliedHash`) be applied over `observed`? */
export function needsApply(stamped: KubeObject, observed: KubeObject | undefined): boolean {
  if (!observed) return true;
  const want = stamped.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (observed.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== want) return true;
  return !containsFields(observed, stamped);
}

/** Path of the first field of `desired` that `observed` lacks or holds differently (for debug logs). */
export function firstDifference(observed: unknown, desired: unknown, path = ""): string | undefined {
  if (containsFields(observed, desired)) return undefined;
  if (desired !== null && typeof desired === "object" && observed !== null && typeof observed === "object") {
    if (Array.isArray(desired) && Array.isArray(observed) && desired.length !== observed.length) return `${path} (length ${observed.length} ≠ ${desired.length})`;
    for (const [k, d] of Object.entries(desired)) {
      const found = firstDifference((observed as Record<string, unknown>)[k], d, `${path}.${k}`);
      if (found) return found;
    }
  }
  return `${path}: ${JSON.stringify(observed)?.slice(0, 80)} ≠ ${JSON.stringify(desired)?.slice(0, 80)}`;
}
