/** The DittoGroup planner: the claim before the create, unmanaged unless adopted, gid/description drift, grants. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoGroup } from "../../../src/api/schema/dittogroup.ts";
import type { GroupRecord } from "../../../src/dittofs/wire-users.ts";
import { desiredGroup, planGroup } from "../../../src/dittouser/group-plan.ts";
import type { GroupPlanInput } from "../../../src/dittouser/group-plan.ts";

function dittoGroup(spec: Partial<DittoGroup["spec"]> = {}): DittoGroup {
  return { apiVersion: "dittofs.dittofs.com/v1alpha1", kind: "DittoGroup", metadata: { name: "staff", namespace: "ns" }, spec: { serverRef: { name: "files" }, reclaimPolicy: "Retain", ...spec } };
}

const onServer = (fields: Partial<GroupRecord> = {}): GroupRecord => ({ name: "staff", description: "", members: [], ...fields });

function input(o: Partial<GroupPlanInput> & { spec?: Partial<DittoGroup["spec"]> } = {}): GroupPlanInput {
  const { spec, ...rest } = o;
  return { desired: desiredGroup(dittoGroup(spec)), adopt: false, record: { sharePermissions: [] }, observed: { group: undefined, grants: new Map() }, claims: [], ...rest };
}

test("the name defaults to metadata.name; a new group is claimed, then created with its gid and description", () => {
  assert.equal(desiredGroup(dittoGroup({ groupName: "ops" })).name, "ops");
  const claim = planGroup(input({ spec: { gid: 2000 } }));
  assert.deepEqual([claim.steps, claim.claimOnly, claim.next.ownership], [[], true, "Creating"]);
  const create = planGroup(input({ spec: { gid: 2000, description: "Staff" }, record: { ownership: "Creating", sharePermissions: [] } }));
  assert.deepEqual(create.steps, [{ op: "create", fields: { gid: 2000, description: "Staff" } }]);
  assert.equal(create.next.ownership, "Created");
});

test("a group made elsewhere is reported and left alone unless adopted; drift of gid and description is one update", () => {
  const unmanaged = planGroup(input({ spec: { gid: 2000 }, observed: { group: onServer({ gid: 5 }), grants: new Map() } }));
  assert.deepEqual([unmanaged.steps, unmanaged.problems[0]?.reason], [[], "GroupUnmanaged"]);
  const adopted = planGroup(input({ adopt: true, spec: { gid: 2000 }, observed: { group: onServer({ gid: 5 }), grants: new Map() } }));
  assert.deepEqual(adopted.steps, [{ op: "update", fields: { gid: 2000 } }]);
  assert.equal(adopted.next.ownership, "Adopted");
  const inSync = planGroup(input({ spec: { gid: 2000 }, record: { ownership: "Created", sharePermissions: [] }, observed: { group: onServer({ gid: 2000, description: "x" }), grants: new Map() } }));
  assert.deepEqual(inSync.steps, [], "a description not in the spec is left as it is");
});

test("grants go through the shared grant plan: set, and a DittoShare's grant wins", () => {
  const plan = planGroup(input({
    spec: { sharePermissions: [{ share: "data", level: "read" }, { share: "/team", level: "admin" }] },
    record: { ownership: "Created", sharePermissions: [] },
    observed: { group: onServer(), grants: new Map([["/data", undefined], ["/team", undefined]]) },
    claims: [{ share: "/team", level: "read", by: "team" }],
  }));
  assert.deepEqual(plan.steps, [{ op: "grant", share: "/data", level: "read" }]);
  assert.deepEqual(plan.problems.map((p) => p.reason), ["PermissionConflict"]);
});
