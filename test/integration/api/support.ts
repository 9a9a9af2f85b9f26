/** Helpers shared by the API integration tests: install the generated CRD, build manifests, read rejections. */
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { ApiException, CustomObjectsApi } from "@kubernetes/client-node";
import { parse } from "yaml";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from "../../../src/api/constants.ts";
import { CRD_DIR, crdFileName, crdName, CRDS } from "../../../src/api/crd.ts";
import { kubectl, testKubeConfig, waitFor } from "../../controlplane/testenv.ts";

const repoRoot = new URL("../../../", import.meta.url);

/**
 * Applies every CRD of deploy/crds (server-side, idempotent across test files) and waits until each is Established:
 * the operator watches all its kinds, and its cache does not sync while one of them is missing.
 */
export async function installCrd(): Promise<void> {
  const manifests = await Promise.all(CRDS.map((crd) => readFile(new URL(`${CRD_DIR}/${crdFileName(crd)}`, repoRoot), "utf8")));
  const applied = await kubectl(["apply", "--server-side", "--force-conflicts", "--field-manager=dittofs-tests", "-f", "-"], { input: manifests.join("\n---\n") });
  assert.equal(applied.code, 0, `installing the CRDs failed: ${applied.stderr}`);
  for (const name of CRDS.map(crdName)) {
    await waitFor(`CRD ${name} Established`, async () => {
      const got = await kubectl(["get", "crd", name, "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"]);
      return got.stdout === "True" ? true : undefined;
    }, { timeoutMs: 30_000 });
  }
}

/** The samples of `kind` in deploy/samples (files `<kind in lower case>-<name>.yaml`), parsed. */
export async function readSamples(kind = KIND): Promise<{ file: string; object: Record<string, unknown> }[]> {
  const dir = new URL("deploy/samples/", repoRoot);
  const files = (await readdir(dir)).filter((f) => f.startsWith(`${kind.toLowerCase()}-`) && f.endsWith(".yaml")).sort();
  return Promise.all(files.map(async (file) => ({ file, object: parse(await readFile(new URL(file, dir), "utf8")) as Record<string, unknown> })));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge for test manifests: objects merge, anything else replaces, `null` deletes the key. */
export function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const deleted = new Set(Object.keys(patch).filter((key) => patch[key] === null));
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(structuredClone(base)).filter(([key]) => !deleted.has(key)));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) continue;
    const current = out[key];
    out[key] = isRecord(value) && isRecord(current) ? merge(current, value) : structuredClone(value);
  }
  return out;
}

export const MINIMAL_SPEC = { storage: { metadataSize: "1Gi" } };

export function dittoServer(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec };
}

export function customObjects(): CustomObjectsApi {
  return testKubeConfig().makeApiClient(CustomObjectsApi);
}

export const crdCoordinates = { group: GROUP, version: VERSION, plural: PLURAL } as const;

export interface Cause {
  field: string;
  message: string;
}

/**
 * Awaits a write that must be rejected and returns the causes the API server gave. Strict field validation
 * reports unknown fields only in the message, so those become causes too.
 */
export async function rejection(call: Promise<unknown>): Promise<{ code: number; message: string; causes: Cause[] }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const status = (typeof err.body === "string" ? JSON.parse(err.body) : err.body) as {
      message?: string;
      details?: { causes?: { field?: string; message?: string }[] };
    };
    const message = status.message ?? "";
    const causes: Cause[] = (status.details?.causes ?? []).map((c) => ({ field: c.field ?? "", message: c.message ?? "" }));
    for (const m of message.matchAll(/unknown field "([^"]+)"/g)) causes.push({ field: m[1]!, message: "unknown field" });
    return { code: err.code, message, causes };
  }
  assert.fail("the write was expected to be rejected but was accepted");
}

/** Asserts one cause names exactly `field` and contains `message`. */
export function assertCause(result: { message: string; causes: Cause[] }, field: string, message: string): void {
  const match = result.causes.find((c) => c.field === field && c.message.includes(message));
  assert.ok(match, `expected a cause at ${field} containing ${JSON.stringify(message)}; got ${JSON.stringify(result.causes)} (${result.message})`);
}
