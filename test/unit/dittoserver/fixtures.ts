/**
 * DittoServers as the operator reads them: a manifest with the CRD's structural defaults applied by the
 * API package's own defaulting, plus the metadata the API server fills in.
 */
import { withDefaults } from "../../../src/api/defaulting.ts";
import type { DittoServer } from "../../../src/api/types.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";

export const NS = "team-a";
export const NAME = "fs1";

export function server(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): DittoServer {
  const manifest = {
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoServer",
    metadata: { name: NAME, namespace: NS, uid: "uid-1", generation: 1, ...meta },
    spec: { storage: { metadataSize: "10Gi" }, ...spec },
  };
  return withDefaults(manifest);
}

export function secret(name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: NS },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
}

/** Typed path access for assertions on plain JSON. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = value;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export type Json = Record<string, unknown>;
export function asJson(value: unknown): Json {
  return (value ?? {}) as Json;
}
export function asList(value: unknown): Json[] {
  return (Array.isArray(value) ? value : []) as Json[];
}
