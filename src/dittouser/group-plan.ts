/**
 * What to do with one DittoGroup's group on its server (pure). Ownership as for a DittoUser: only a group this
 * DittoGroup created (the `Creating` claim recorded before the POST) or adopted (annotation) is changed; the grants
 * are planned by ./grants.ts.
 */
import type { DittoGroup } from "../api/schema/dittogroup.ts";
import type { UserOwnership } from "../api/schema/dittouser.ts";
import type { GroupFields, GroupRecord } from "../dittofs/wire-users.ts";
import { normalizeShare } from "../dittoserver/snapshot-policies.ts";
import { planGrants } from "./grants.ts";
import type { GrantStep, Problem, ShareGrant, ShareGrantClaim } from "./grants.ts";
import { claimOf, unmanagedMessage } from "./ownership.ts";
import { USER_REASONS } from "./reasons.ts";

export interface DesiredGroup {
  name: string;
  gid?: number | undefined;
  description?: string | undefined;
  sharePermissions: ShareGrant[];
}

export function desiredGroup(group: DittoGroup): DesiredGroup {
  const spec = group.spec;
  return {
    name: spec.groupName ?? group.metadata.name ?? "",
    gid: spec.gid,
    description: spec.description,
    sharePermissions: (spec.sharePermissions ?? []).map((p) => ({ share: normalizeShare(p.share), level: p.level })),
  };
}

export interface GroupRecordState {
  ownership?: UserOwnership | undefined;
  sharePermissions: readonly ShareGrant[];
}

export type GroupStep = { op: "create"; fields: GroupFields } | { op: "update"; fields: GroupFields } | GrantStep;

export interface GroupPlanInput {
  desired: DesiredGroup;
  adopt: boolean;
  record: GroupRecordState;
  observed: { group: GroupRecord | undefined; grants: ReadonlyMap<string, string | undefined> };
  claims: readonly ShareGrantClaim[];
}

export interface GroupPlan {
  steps: GroupStep[];
  next: GroupRecordState;
  problems: Problem[];
  claimOnly: boolean;
}

function fields(desired: DesiredGroup, group: GroupRecord | undefined): GroupFields {
  const out: GroupFields = {};
  if (desired.gid !== undefined && group?.gid !== desired.gid) out.gid = desired.gid;
  if (desired.description !== undefined && group?.description !== desired.description) out.description = desired.description;
  return out;
}

export function planGroup(input: GroupPlanInput): GroupPlan {
  const { desired, adopt, record, observed } = input;
  const group = observed.group;
  const claim = claimOf(group !== undefined, record.ownership, adopt);
  if (claim.kind === "unmanaged") {
    const message = unmanagedMessage(`group ${desired.name}`, "DittoGroup");
    return { steps: [], next: { sharePermissions: [] }, problems: [{ reason: USER_REASONS.GroupUnmanaged, message }], claimOnly: false };
  }
  if (claim.kind === "claim") return { steps: [], next: { ownership: "Creating", sharePermissions: [] }, problems: [], claimOnly: true };

  const steps: GroupStep[] = [];
  const changes = fields(desired, group);
  if (!group) steps.push({ op: "create", fields: changes });
  else if (Object.keys(changes).length > 0) steps.push({ op: "update", fields: changes });
  const grants = planGrants({ wanted: desired.sharePermissions, recorded: record.sharePermissions, observed: observed.grants, claims: input.claims, exists: group !== undefined });
  return {
    steps: [...steps, ...grants.steps],
    next: { ownership: claim.next, sharePermissions: grants.recorded },
    problems: grants.problems,
    claimOnly: false,
  };
}
