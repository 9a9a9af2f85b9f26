/**
 * The shell step of a DittoGroup: reads the group and its grants on the shares of interest, plans
 * (./group-plan.ts), then makes the calls in order. In sync it costs those GETs and no write. A failure stops the
 * step and is returned for the caller's back-off, with the record reflecting only the calls answered.
 */
import type { DittoFsClient } from "../dittofs/client.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import { shareApi } from "../dittofs/shares.ts";
import type { GroupRecord } from "../dittofs/wire-users.ts";
import { sharesOfInterest } from "./grants.ts";
import type { Problem } from "./grants.ts";
import { planGroup } from "./group-plan.ts";
import type { GroupPlanInput, GroupRecordState, GroupStep } from "./group-plan.ts";
import { performGrant, readGrants } from "./sync.ts";
import type { GrantApi } from "./sync.ts";

export interface GroupApi {
  groups: Pick<DittoFsClient, "getGroup" | "createGroup" | "updateGroup">;
  shares: GrantApi;
}

export function groupApi(client: DittoFsClient): GroupApi {
  return { groups: client, shares: shareApi(client) };
}

export interface GroupSyncInput extends Omit<GroupPlanInput, "observed"> {
  token: string;
  signal?: AbortSignal | undefined;
}

export interface GroupSyncResult {
  record: GroupRecordState;
  problems: Problem[];
  done: GroupStep["op"][];
  claimOnly: boolean;
  /** Whether the server has the group after the step and this DittoGroup manages it. */
  present: boolean;
  error?: Error;
}

export async function syncGroup(api: GroupApi, input: GroupSyncInput): Promise<GroupSyncResult> {
  const { token, signal, desired } = input;
  let observed: GroupPlanInput["observed"];
  try {
    let group: GroupRecord | undefined;
    try {
      group = await api.groups.getGroup(token, desired.name, { signal });
    } catch (err) {
      if (!isDittoFsError(err, "notFound")) throw err;
    }
    observed = { group, grants: await readGrants(api.shares, token, "group", desired.name, sharesOfInterest(desired.sharePermissions, input.record.sharePermissions), signal) };
  } catch (err) {
    return { record: input.record, problems: [], done: [], claimOnly: false, present: false, error: err instanceof Error ? err : new Error(String(err)) };
  }
  const plan = planGroup({ ...input, observed });
  const done: GroupStep["op"][] = [];
  for (const step of plan.steps) {
    try {
      if (step.op === "create") await api.groups.createGroup(token, desired.name, step.fields, { signal });
      else if (step.op === "update") await api.groups.updateGroup(token, desired.name, step.fields, { signal });
      else await performGrant(api.shares, token, "group", desired.name, step, signal);
      done.push(step.op);
    } catch (err) {
      const created = done.includes("create") || observed.group !== undefined;
      // Keep every grant that was or is ours, so a later pass still removes the ones that left the spec.
      const sharePermissions = [...new Map([...input.record.sharePermissions, ...plan.next.sharePermissions].map((p) => [p.share, p])).values()];
      const record = { ownership: created ? plan.next.ownership : input.record.ownership, sharePermissions };
      return { record, problems: plan.problems, done, claimOnly: false, present: created, error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
  const present = !plan.claimOnly && plan.next.ownership !== undefined;
  return { record: plan.next, problems: plan.problems, done, claimOnly: plan.claimOnly, present };
}
