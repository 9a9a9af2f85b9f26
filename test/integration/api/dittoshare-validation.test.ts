/**
 * The DittoShare CRD on the real kube-apiserver: invalid specs rejected at creation (OpenAPI + CEL) with the field
 * and a message naming it, immutable fields refused at update, defaults applied, and the sample accepted.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { API_VERSION, GROUP, VERSION } from "../../../src/api/constants.ts";
import { DITTOSHARE_CRD } from "../../../src/api/crd.ts";
import { createTestNamespace } from "../../controlplane/testenv.ts";
import { assertCause, customObjects, installCrd, merge, readSamples, rejection } from "./support.ts";

const api = customObjects();
const coordinates = { group: GROUP, version: VERSION, plural: DITTOSHARE_CRD.plural } as const;
const VALID = { serverRef: { name: "fs1" }, metadataStore: "meta", localBlockStore: "blocks" };
let namespace = "";
let cleanup: (() => Promise<void>) | undefined;

const share = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: API_VERSION, kind: DITTOSHARE_CRD.kind, metadata: { name }, spec });

before(async () => {
  await installCrd();
  const ns = await createTestNamespace("api-dittoshare");
  namespace = ns.name;
  cleanup = () => ns.delete();
});
after(async () => cleanup?.());

interface Case {
  name: string;
  spec: Record<string, unknown>;
  field: string;
  message: string;
}

const CREATE_CASES: Case[] = [
  { name: "no serverRef", spec: { serverRef: null }, field: "spec.serverRef", message: "Required value" },
  { name: "serverRef without a name", spec: { serverRef: { name: null } }, field: "spec.serverRef.name", message: "Required value" },
  { name: "serverRef name not a DNS name", spec: { serverRef: { name: "Files_1" } }, field: "spec.serverRef.name", message: "should match" },
  { name: "no metadataStore", spec: { metadataStore: null }, field: "spec.metadataStore", message: "Required value" },
  { name: "no localBlockStore", spec: { localBlockStore: null }, field: "spec.localBlockStore", message: "Required value" },
  { name: "metadataStore with a slash", spec: { metadataStore: "a/b" }, field: "spec.metadataStore", message: "should match" },
  { name: "remoteBlockStore empty", spec: { remoteBlockStore: "" }, field: "spec.remoteBlockStore", message: "at least 1 chars long" },
  { name: "shareName only a slash", spec: { shareName: "/" }, field: "spec.shareName", message: "should match" },
  { name: "shareName with a .. segment", spec: { shareName: "/data/../etc" }, field: "spec.shareName", message: "should match" },
  { name: "shareName with a space", spec: { shareName: "/my share" }, field: "spec.shareName", message: "should match" },
  { name: "unknown default permission", spec: { defaultPermission: "read_write" }, field: "spec.defaultPermission", message: "Unsupported value" },
  { name: "unknown squash", spec: { squash: "root" }, field: "spec.squash", message: "Unsupported value" },
  { name: "unknown reclaim policy", spec: { reclaimPolicy: "Recycle" }, field: "spec.reclaimPolicy", message: "Unsupported value" },
  { name: "readOnly not a boolean", spec: { readOnly: "yes" }, field: "spec.readOnly", message: "must be of type boolean" },
  { name: "a grant with an unknown level", spec: { permissions: { users: [{ name: "alice", level: "write" }] } }, field: "spec.permissions.users[0].level", message: "Unsupported value" },
  { name: "a grant without a level", spec: { permissions: { groups: [{ name: "staff" }] } }, field: "spec.permissions.groups[0].level", message: "Required value" },
  { name: "the same user granted twice", spec: { permissions: { users: [{ name: "alice", level: "read" }, { name: "alice", level: "admin" }] } }, field: "spec.permissions.users[1]", message: "Duplicate value" },
  { name: "a grant to a name with a slash", spec: { permissions: { users: [{ name: "a/b", level: "read" }] } }, field: "spec.permissions.users[0].name", message: "should match" },
  { name: "a policy without an interval", spec: { snapshotPolicy: { keepLast: 3 } }, field: "spec.snapshotPolicy.interval", message: "Required value" },
  { name: "a policy with a bad interval", spec: { snapshotPolicy: { interval: "daily" } }, field: "spec.snapshotPolicy.interval", message: "interval must be a positive Go duration" },
  { name: "a policy with a negative keepLast", spec: { snapshotPolicy: { interval: "24h", keepLast: -1 } }, field: "spec.snapshotPolicy.keepLast", message: "greater than or equal to 0" },
  { name: "a policy naming a share", spec: { snapshotPolicy: { interval: "24h", share: "/x" } }, field: "spec.snapshotPolicy.share", message: "unknown field" },
];

describe("invalid DittoShares are rejected at creation", { concurrency: 4 }, () => {
  test("there are at least 15 cases", () => {
    assert.ok(CREATE_CASES.length >= 15, `${CREATE_CASES.length}`);
  });
  CREATE_CASES.forEach((c, i) => {
    test(c.name, async () => {
      const body = share(`case-${i}`, merge(VALID, c.spec));
      const result = await rejection(api.createNamespacedCustomObject({ ...coordinates, namespace, body, dryRun: "All", fieldValidation: "Strict" }));
      assert.ok(result.code === 422 || result.code === 400, `unexpected HTTP ${result.code}: ${result.message}`);
      assertCause(result, c.field, c.message);
    });
  });
});

const UPDATE_CASES: { name: string; before: Record<string, unknown>; after: Record<string, unknown>; field: string; message: string }[] = [
  { name: "moving to another server", before: {}, after: { serverRef: { name: "fs2" } }, field: "spec.serverRef.name", message: "serverRef.name is immutable" },
  { name: "renaming the share", before: { shareName: "/a" }, after: { shareName: "/b" }, field: "spec.shareName", message: "shareName is immutable" },
  { name: "naming the share after creation", before: {}, after: { shareName: "/b" }, field: "spec.shareName", message: "shareName is immutable" },
  { name: "another metadata store", before: {}, after: { metadataStore: "other" }, field: "spec.metadataStore", message: "metadataStore is immutable" },
  { name: "another local block store", before: {}, after: { localBlockStore: "other" }, field: "spec.localBlockStore", message: "localBlockStore is immutable" },
];

describe("immutable fields", { concurrency: 4 }, () => {
  UPDATE_CASES.forEach((c, i) => {
    test(c.name, async () => {
      const name = `update-${i}`;
      const created = (await api.createNamespacedCustomObject({ ...coordinates, namespace, body: share(name, merge(VALID, c.before)) })) as { metadata: { resourceVersion: string } };
      const body = share(name, merge(merge(VALID, c.before), c.after));
      (body.metadata as Record<string, unknown>).resourceVersion = created.metadata.resourceVersion;
      const result = await rejection(api.replaceNamespacedCustomObject({ ...coordinates, namespace, name, body }));
      assert.equal(result.code, 422, result.message);
      assertCause(result, c.field, c.message);
    });
  });

  test("the managed fields may change", async () => {
    const created = (await api.createNamespacedCustomObject({ ...coordinates, namespace, body: share("mutable", VALID) })) as { metadata: { resourceVersion: string } };
    const changed = { readOnly: true, enabled: false, defaultPermission: "read", squash: "all_to_guest", reclaimPolicy: "Delete", permissions: { users: [{ name: "alice", level: "admin" }] }, snapshotPolicy: { interval: "@daily" } };
    const body = share("mutable", { ...VALID, ...changed });
    (body.metadata as Record<string, unknown>).resourceVersion = created.metadata.resourceVersion;
    const replaced = (await api.replaceNamespacedCustomObject({ ...coordinates, namespace, name: "mutable", body })) as { spec: Record<string, unknown> };
    assert.deepEqual(replaced.spec, { ...VALID, ...changed });
  });
});

describe("defaults and samples", () => {
  test("a minimal DittoShare gets the defaults", async () => {
    const created = (await api.createNamespacedCustomObject({ ...coordinates, namespace, body: share("defaults", VALID) })) as { spec: Record<string, unknown> };
    assert.deepEqual(created.spec, { ...VALID, readOnly: false, enabled: true, defaultPermission: "none", reclaimPolicy: "Retain" });
  });

  test("the samples are accepted", async () => {
    const samples = await readSamples(DITTOSHARE_CRD.kind);
    assert.ok(samples.length >= 1);
    for (const { object } of samples) await api.createNamespacedCustomObject({ ...coordinates, namespace, body: object, dryRun: "All", fieldValidation: "Strict" });
  });
});
