/**
 * The CRD's validation on the real kube-apiserver: every invalid DittoServer in the tables is rejected with the
 * expected field path and message, at creation (OpenAPI + CEL) and at update (CEL transition rules).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createTestNamespace } from "../../controlplane/testenv.ts";
import { CREATE_CASES } from "./invalid-create-cases.ts";
import { ACCEPTED_UPDATES, UPDATE_CASES } from "./invalid-update-cases.ts";
import { assertCause, crdCoordinates, customObjects, dittoServer, installCrd, merge, MINIMAL_SPEC, rejection } from "./support.ts";

const api = customObjects();
let namespace = "";
let cleanup: (() => Promise<void>) | undefined;

before(async () => {
  await installCrd();
  const ns = await createTestNamespace("api-validation");
  namespace = ns.name;
  cleanup = () => ns.delete();
});
after(async () => cleanup?.());

function caseName(index: number): string {
  return `case-${index}`;
}

describe("invalid DittoServers are rejected at creation", { concurrency: 4 }, () => {
  CREATE_CASES.forEach((c, i) => {
    test(c.name, async () => {
      const body = c.raw
        ? { ...dittoServer(caseName(i), {}), ...c.raw, spec: undefined }
        : dittoServer(c.objectName ?? caseName(i), merge(MINIMAL_SPEC, c.spec ?? {}));
      const result = await rejection(
        api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body, dryRun: "All", fieldValidation: "Strict" }),
      );
      assert.ok(result.code === 422 || result.code === 400, `unexpected HTTP ${result.code}: ${result.message}`);
      assertCause(result, c.field, c.message);
    });
  });
});

/** Creates a DittoServer with spec `before`, then replaces it with spec `after` (the update the rules judge). */
async function createThenReplace(name: string, before: Record<string, unknown>, after: Record<string, unknown>): Promise<unknown> {
  const created = (await api.createNamespacedCustomObject({
    ...crdCoordinates,
    namespace,
    body: dittoServer(name, merge(MINIMAL_SPEC, before)),
  })) as { metadata: { resourceVersion: string } };
  const body = dittoServer(name, merge(MINIMAL_SPEC, after));
  (body.metadata as Record<string, unknown>).resourceVersion = created.metadata.resourceVersion;
  return api.replaceNamespacedCustomObject({ ...crdCoordinates, namespace, name, body });
}

describe("transition rules reject updates", { concurrency: 4 }, () => {
  UPDATE_CASES.forEach((c, i) => {
    test(c.name, async () => {
      const name = `update-${i}`;
      const result = await rejection(createThenReplace(name, c.before, c.after));
      assert.equal(result.code, 422, result.message);
      assertCause(result, c.field, c.message);
    });
  });

  ACCEPTED_UPDATES.forEach((c, i) => {
    test(`accepts: ${c.name}`, async () => {
      const name = `accepted-${i}`;
      const updated = (await createThenReplace(name, c.before, c.after)) as {
        spec: Record<string, unknown>;
      };
      const expected = merge(MINIMAL_SPEC, c.after);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(pick(updated.spec[key], value), value, `spec.${key} after the update`);
      }
    });
  });
});

describe("status subresource validation", () => {
  const statusCases = [
    { name: "unknown phase", status: { phase: "Broken" }, field: "status.phase", message: "Unsupported value" },
    {
      name: "condition without reason",
      status: { conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2025-01-01T00:00:00Z", message: "" }] },
      field: "status.conditions[0].reason",
      message: "Required value",
    },
    {
      name: "condition with an invalid status",
      status: { conditions: [{ type: "Ready", status: "Yes", lastTransitionTime: "2025-01-01T00:00:00Z", reason: "R", message: "" }] },
      field: "status.conditions[0].status",
      message: "Unsupported value",
    },
    {
      name: "duplicate condition types",
      status: {
        conditions: [
          { type: "Ready", status: "True", lastTransitionTime: "2025-01-01T00:00:00Z", reason: "R", message: "" },
          { type: "Ready", status: "False", lastTransitionTime: "2025-01-01T00:00:00Z", reason: "R", message: "" },
        ],
      },
      field: "status.conditions[1]",
      message: "Duplicate value",
    },
  ];
  statusCases.forEach((c, i) => {
    test(c.name, async () => {
      const name = `status-${i}`;
      await api.createNamespacedCustomObject({ ...crdCoordinates, namespace, body: dittoServer(name, MINIMAL_SPEC) });
      const current = (await api.getNamespacedCustomObject({ ...crdCoordinates, namespace, name })) as Record<string, unknown>;
      const result = await rejection(
        api.replaceNamespacedCustomObjectStatus({ ...crdCoordinates, namespace, name, body: { ...current, status: c.status } }),
      );
      assertCause(result, c.field, c.message);
    });
  });
});

/** The part of `actual` with the keys of `shape` (so server-added defaults do not disturb the comparison). */
function pick(actual: unknown, shape: unknown): unknown {
  if (typeof shape !== "object" || shape === null || Array.isArray(shape) || typeof actual !== "object" || actual === null) return actual;
  return Object.fromEntries(Object.keys(shape).map((k) => [k, pick((actual as Record<string, unknown>)[k], (shape as Record<string, unknown>)[k])]));
}
