/**
 * What wakes a DittoUser or DittoGroup besides its server and Secret: the DittoGroups and DittoShares it names, on
 * the same server (index keys of ../../../src/serverbound/controller.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { nameKey, namedKeys } from "../../../src/serverbound/controller.ts";
import type { BoundObject, WokenBy } from "../../../src/serverbound/kind.ts";
import { DITTOGROUP_KIND } from "../../../src/dittouser/group-kind.ts";
import { DITTOUSER_KIND } from "../../../src/dittouser/kind.ts";

const object = (kind: string, name: string, server: string, spec: Record<string, unknown> = {}): BoundObject => ({
  apiVersion: "dittofs.dittofs.com/v1alpha1",
  kind,
  metadata: { name, namespace: "ns" },
  spec: { serverRef: { name: server }, ...spec },
});

const by = (kind: { wokenBy?: readonly WokenBy[] | undefined }, plural: string): WokenBy => {
  const w = kind.wokenBy?.find((x) => x.resource.plural === plural);
  assert.ok(w, `woken by ${plural}`);
  return w;
};

test("a DittoUser is woken by the DittoGroups it joins and the DittoShares of its grants, on its own server only", () => {
  const user = object("DittoUser", "alice", "files", { groups: ["staff"], sharePermissions: [{ share: "data", level: "read" }] });
  const groups = by(DITTOUSER_KIND, "dittogroups");
  const shares = by(DITTOUSER_KIND, "dittoshares");
  assert.ok(namedKeys(groups, user).includes(nameKey(groups, object("DittoGroup", "staff", "files"))));
  assert.ok(namedKeys(groups, user).includes(nameKey(groups, object("DittoGroup", "team", "files", { groupName: "staff" }))), "by its groupName");
  assert.ok(!namedKeys(groups, user).includes(nameKey(groups, object("DittoGroup", "staff", "other"))), "another server's group");
  assert.ok(!namedKeys(groups, user).includes(nameKey(groups, object("DittoGroup", "ops", "files"))));
  assert.ok(namedKeys(shares, user).includes(nameKey(shares, object("DittoShare", "data", "files"))), "the share /data by its default name");
  assert.ok(namedKeys(shares, user).includes(nameKey(shares, object("DittoShare", "x", "files", { shareName: "/data" }))));
});

test("a DittoGroup is woken by the DittoShares of its grants", () => {
  const shares = by(DITTOGROUP_KIND, "dittoshares");
  const group = object("DittoGroup", "staff", "files", { sharePermissions: [{ share: "/export", level: "read" }] });
  assert.deepEqual(namedKeys(shares, group), [nameKey(shares, object("DittoShare", "export", "files"))]);
});
