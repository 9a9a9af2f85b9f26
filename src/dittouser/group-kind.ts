/**
 * DittoGroup as a kind bound to a DittoServer: its resource, finalizer (reclaimPolicy Delete) and the step that
 * makes the group on the server match the spec (the `Creating` claim recorded before a create, then ./group-sync.ts).
 */
import { GROUP, VERSION } from "../api/constants.ts";
import type { DittoGroup, DittoGroupStatus } from "../api/schema/dittogroup.ts";
import { DITTOGROUP_CRD } from "../api/crd.ts";
import { adoptRequested } from "../api/schema/bound.ts";
import type { DittoShare } from "../api/schema/dittoshare.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import { DITTOSHARES } from "../dittoshare/kind.ts";
import { shareNameOf } from "../dittoshare/plan.ts";
import type { ResourceType } from "../runtime/resources.ts";
import type { BoundObject, CleanupStepResult, ServerboundKind, SyncContext, SyncResult } from "../serverbound/kind.ts";
import { shareClaims } from "./grants.ts";
import { desiredGroup } from "./group-plan.ts";
import type { GroupRecordState } from "./group-plan.ts";
import { groupApi, syncGroup } from "./group-sync.ts";
import { USER_REASONS } from "./reasons.ts";
import { verdicts } from "./verdicts.ts";

export const DITTOGROUPS: ResourceType = { group: GROUP, version: VERSION, plural: DITTOGROUP_CRD.plural, kind: DITTOGROUP_CRD.kind, namespaced: true };
export const GROUP_FINALIZER = `${GROUP}/group-cleanup`;

const asGroup = (obj: BoundObject): DittoGroup => obj as unknown as DittoGroup;

function statusFields(name: string, record: GroupRecordState): Record<string, unknown> {
  return {
    groupName: name,
    ...(record.ownership ? { ownership: record.ownership } : {}),
    ...(record.sharePermissions.length > 0 ? { sharePermissions: record.sharePermissions } : {}),
  };
}

async function syncStep(ctx: SyncContext): Promise<SyncResult> {
  const group = asGroup(ctx.object);
  const status: DittoGroupStatus | undefined = group.status;
  const desired = desiredGroup(group);
  const input = {
    token: ctx.token,
    desired,
    adopt: adoptRequested(group.metadata),
    record: { ownership: status?.ownership, sharePermissions: status?.sharePermissions ?? [] },
    claims: shareClaims(group.spec.serverRef.name, "groups", desired.name, ctx.peers(DITTOSHARES) as unknown as DittoShare[]),
    signal: ctx.signal,
  };
  const api = groupApi(ctx.api);
  let result = await syncGroup(api, input);
  if (result.claimOnly && !result.error) {
    // Recorded before the POST: a crash after it still finds the group ours.
    await ctx.record(statusFields(desired.name, result.record));
    result = await syncGroup(api, { ...input, record: result.record });
  }
  const { synced, ready } = verdicts(`group ${desired.name}`, USER_REASONS.GroupExists, result.problems, result.present);
  return { fields: statusFields(desired.name, result.record), synced, ready, ...(result.error ? { error: result.error } : {}) };
}

async function cleanup(ctx: SyncContext): Promise<CleanupStepResult> {
  const name = desiredGroup(asGroup(ctx.object)).name;
  try {
    await ctx.api.deleteGroup(ctx.token, name, { signal: ctx.signal });
  } catch (err) {
    if (!isDittoFsError(err, "notFound")) return { done: false, error: err };
  }
  return { done: true, events: [{ type: "Normal", reason: USER_REASONS.GroupDeleted, action: "Delete", message: `group ${name} deleted from the server (reclaimPolicy Delete)` }] };
}

export const DITTOGROUP_KIND: ServerboundKind = {
  resource: DITTOGROUPS,
  controllerName: "dittogroup",
  finalizer: {
    name: GROUP_FINALIZER,
    cleanup,
    // Delete removes the group, but only one this DittoGroup created or adopted.
    needsServer: (obj) => asGroup(obj).spec.reclaimPolicy === "Delete" && asGroup(obj).status?.ownership !== undefined,
  },
  wokenBy: [{ resource: DITTOSHARES, names: (obj) => desiredGroup(asGroup(obj)).sharePermissions.map((p) => p.share), nameOf: (share) => shareNameOf(share as unknown as DittoShare) }],
  sync: syncStep,
};
