/**
 * The DittoUser and DittoGroup CRDs on the real kube-apiserver: every invalid object in the tables is rejected with
 * the expected field path and message at creation, the immutable fields at update, and the samples are accepted.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { API_VERSION, GROUP, VERSION } from "../../../src/api/constants.ts";
import { GROUP_KIND } from "../../../src/api/schema/dittogroup.ts";
import { USER_KIND } from "../../../src/api/schema/dittouser.ts";
import { createTestNamespace } from "../../controlplane/testenv.ts";
import { GROUP_CREATE_CASES, USER_CREATE_CASES, USER_MINIMAL_SPEC, USER_UPDATE_CASES } from "./dittouser-invalid-cases.ts";
import { assertCause, customObjects, installCrd, merge, readSamples, rejection } from "./support.ts";

const api = customObjects();
const coordinates = { group: GROUP, version: VERSION, plural: "dittousers" } as const;
let namespace = "";
let cleanup: (() => Promise<void>) | undefined;

before(async () => {
  await installCrd();
  const ns = await createTestNamespace("api-dittouser");
  namespace = ns.name;
  cleanup = () => ns.delete();
});
after(async () => cleanup?.());

function dittoUser(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: USER_KIND, metadata: { name }, spec };
}

describe("invalid DittoUsers are rejected at creation", { concurrency: 4 }, () => {
  test("at least 15 cases", () => {
    assert.ok(USER_CREATE_CASES.length >= 15);
  });
  USER_CREATE_CASES.forEach((c, i) => {
    test(c.name, async () => {
      const body = c.raw ? { ...dittoUser(`case-${i}`, {}), ...c.raw, spec: undefined } : dittoUser(c.objectName ?? `case-${i}`, merge(USER_MINIMAL_SPEC, c.spec ?? {}));
      const result = await rejection(api.createNamespacedCustomObject({ ...coordinates, namespace, body, dryRun: "All", fieldValidation: "Strict" }));
      assert.ok(result.code === 422 || result.code === 400, `unexpected HTTP ${result.code}: ${result.message}`);
      assertCause(result, c.field, c.message);
    });
  });
});

describe("invalid DittoGroups are rejected at creation", { concurrency: 4 }, () => {
  const groups = { group: GROUP, version: VERSION, plural: "dittogroups" } as const;
  GROUP_CREATE_CASES.forEach((c, i) => {
    test(c.name, async () => {
      const body = { apiVersion: API_VERSION, kind: GROUP_KIND, metadata: { name: c.objectName ?? `group-${i}` }, spec: merge(USER_MINIMAL_SPEC, c.spec ?? {}) };
      const result = await rejection(api.createNamespacedCustomObject({ ...groups, namespace, body, dryRun: "All", fieldValidation: "Strict" }));
      assert.ok(result.code === 422 || result.code === 400, `unexpected HTTP ${result.code}: ${result.message}`);
      assertCause(result, c.field, c.message);
    });
  });
  test("the DittoGroup samples are accepted", async () => {
    const samples = await readSamples(GROUP_KIND);
    assert.ok(samples.length >= 1);
    for (const { object } of samples) await api.createNamespacedCustomObject({ ...groups, namespace, body: object, dryRun: "All", fieldValidation: "Strict" });
  });
});

describe("immutable fields", { concurrency: 3 }, () => {
  USER_UPDATE_CASES.forEach((c, i) => {
    test(c.name, async () => {
      const name = `update-${i}`;
      const created = (await api.createNamespacedCustomObject({ ...coordinates, namespace, body: dittoUser(name, merge(USER_MINIMAL_SPEC, c.before)) })) as { metadata: { resourceVersion: string } };
      const body = dittoUser(name, merge(USER_MINIMAL_SPEC, c.after));
      (body.metadata as Record<string, unknown>).resourceVersion = created.metadata.resourceVersion;
      const result = await rejection(api.replaceNamespacedCustomObject({ ...coordinates, namespace, name, body }));
      assert.equal(result.code, 422, result.message);
      assertCause(result, c.field, c.message);
    });
  });
});

test("the DittoUser samples are accepted, with their defaults applied", async () => {
  const samples = await readSamples(USER_KIND);
  assert.ok(samples.length >= 1);
  for (const { file, object } of samples) {
    const created = (await api.createNamespacedCustomObject({ ...coordinates, namespace, body: object, dryRun: "All", fieldValidation: "Strict" })) as { spec: Record<string, unknown> };
    assert.equal(created.spec.enabled, true, file);
  }
});
