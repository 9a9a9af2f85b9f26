/**
 * The shell steps of the DittoShare kind over the borrowed session: make the share on the server match the spec
 * (create or take it over, then its managed fields, squash, grants and snapshot policy), and delete it when the
 * DittoShare goes with reclaimPolicy Delete. In sync a pass costs GETs only: the share, plus its grants, squash and
 * policy when the spec (or the record) has any.
 */
import type { DittoShare, DittoShareStatus } from "../api/schema/dittoshare.ts";
import { ADOPT_ANNOTATION, adoptRequested } from "../api/schema/bound.ts";
import type { DittoServer } from "../api/types.ts";
import type { CallOptions, DittoFsClient } from "../dittofs/client.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import { shareApi } from "../dittofs/shares.ts";
import type { Share, ShareApi } from "../dittofs/shares.ts";
import type { SnapshotPolicy } from "../dittofs/wire.ts";
import { policyBody } from "../dittoserver/snapshot-policies.ts";
import type { BoundEvent, CleanupStepResult, SyncResult, Verdict } from "../serverbound/kind.ts";
import { BOUND_REASON } from "../serverbound/reasons.ts";
import { createBody, deletable, desiredShare, grantRecord, ownership, planGrants, planPolicy, recordedGrants, serverPolicyFor, shareNameOf, shareUpdates } from "./plan.ts";
import type { DesiredShare, Grant } from "./plan.ts";
import { SHARE_EVENT, SHARE_REASON } from "./reasons.ts";

export type ShareSyncApi = ShareApi & Pick<DittoFsClient, "getSnapshotPolicy" | "putSnapshotPolicy" | "deleteSnapshotPolicy" | "listStores">;

/** The calls of this kind over a borrowed client. */
export function shareSyncApi(client: DittoFsClient): ShareSyncApi {
  return {
    ...shareApi(client),
    getSnapshotPolicy: (...a) => client.getSnapshotPolicy(...a),
    putSnapshotPolicy: (...a) => client.putSnapshotPolicy(...a),
    deleteSnapshotPolicy: (...a) => client.deleteSnapshotPolicy(...a),
    listStores: (...a) => client.listStores(...a),
  };
}

export interface ShareStepInput {
  share: DittoShare;
  server: DittoServer;
  token: string;
  /** Writes status fields at once (the framework's `record`). */
  record: (fields: Record<string, unknown>) => Promise<void>;
  signal: AbortSignal;
}

type Fields = Pick<DittoShareStatus, "server" | "shareName" | "shareID" | "ownership" | "permissions" | "snapshotPolicy">;

const False = (reason: string, message: string): Verdict => ({ status: "False", reason, message });

export async function syncShare(api: ShareSyncApi, input: ShareStepInput): Promise<SyncResult> {
  const { share, server, token } = input;
  const call: CallOptions = { signal: input.signal };
  const desired = desiredShare(share);
  const serverName = server.metadata.name ?? "";
  const status = share.status ?? {};
  // Updated step by step, so a failure midway records what was done.
  const fields: Fields = { server: serverName, shareName: desired.name, shareID: status.shareID, ownership: status.ownership, permissions: status.permissions, snapshotPolicy: status.snapshotPolicy };
  const events: BoundEvent[] = [];
  const changed: string[] = [];
  try {
    const observed = await api.getShare(token, desired.name, call);
    const own = ownership(observed, status, adoptRequested(share.metadata));
    if (own.kind === "unmanaged") return unmanaged(desired.name, serverName);
    let current: Share;
    if (own.kind === "create") {
      const missing = await missingStores(api, token, desired, call);
      if (missing.length > 0) {
        const verdict = False(SHARE_REASON.StoreNotFound, `DittoServer ${serverName} has no ${missing.join(", ")}: share ${desired.name} is created once it exists`);
        return { fields, synced: verdict, ready: verdict };
      }
      // Recorded before the call: if the operator stops after it, the next pass knows the share is its own.
      Object.assign(fields, { ownership: "Creating", shareID: undefined, permissions: undefined, snapshotPolicy: undefined });
      await input.record(fields);
      try {
        current = await api.createShare(token, createBody(desired), call);
      } catch (err) {
        // Someone took the name between the GET and the POST: not ours.
        if (isDittoFsError(err, "conflict")) return unmanaged(desired.name, serverName);
        throw err;
      }
      Object.assign(fields, { ownership: "Created", shareID: current.id });
      events.push({ type: "Normal", reason: SHARE_EVENT.ShareCreated, action: "Create", message: `created share ${desired.name} (id ${current.id}) on DittoServer ${serverName}` });
    } else {
      current = own.share;
      if (own.claim) Object.assign(fields, { ownership: own.claim, shareID: current.id });
      if (own.claim === "Adopted") events.push({ type: "Normal", reason: SHARE_EVENT.ShareAdopted, action: "Adopt", message: `adopted share ${desired.name} (id ${current.id}) on DittoServer ${serverName} (annotation ${ADOPT_ANNOTATION})` });
    }

    const { update, enable } = shareUpdates(desired, current);
    if (update) {
      await api.updateShare(token, desired.name, update, call);
      changed.push(...Object.entries(update).map(([k, v]) => `${k}=${String(v)}`));
    }
    if (enable !== undefined) {
      await api.setShareEnabled(token, desired.name, enable, call);
      changed.push(enable ? "enabled" : "disabled");
    }
    if (desired.squash !== undefined && (await api.getSquash(token, desired.name, call)) !== desired.squash) {
      await api.setSquash(token, desired.name, desired.squash, call);
      changed.push(`squash=${desired.squash}`);
    }
    const missingPrincipals = await syncGrants(api, token, desired, fields, changed, call);
    const serverPolicy = serverPolicyFor(server, desired.name);
    if (serverPolicy === undefined) await syncPolicy(api, token, desired, fields, changed, call);
    else fields.snapshotPolicy = undefined;

    if (changed.length > 0 && own.kind !== "create") {
      events.push({ type: "Normal", reason: SHARE_EVENT.ShareUpdated, action: "Update", message: `share ${desired.name} set to the spec: ${changed.join(", ")}` });
    }
    const ready: Verdict = { status: "True", reason: SHARE_REASON.ShareReady, message: `share ${desired.name} (id ${current.id}) is on DittoServer ${serverName}` };
    return { fields, events, ready, synced: syncedVerdict(desired.name, serverName, serverPolicy, missingPrincipals) };
  } catch (error) {
    return { fields, events, error };
  }
}

function unmanaged(name: string, serverName: string): SyncResult {
  const verdict = False(
    SHARE_REASON.ShareUnmanaged,
    `share ${name} on DittoServer ${serverName} was not created by this DittoShare and is left alone; annotate the DittoShare with ${ADOPT_ANNOTATION}: "true" to manage it`,
  );
  // Nothing recorded: the share on the server is someone else's.
  return { fields: { server: serverName, shareName: name }, synced: verdict, ready: verdict };
}

function syncedVerdict(name: string, serverName: string, serverPolicy: string | undefined, missing: readonly Grant[]): Verdict {
  if (serverPolicy !== undefined) {
    return False(SHARE_REASON.SnapshotPolicyConflict, `DittoServer ${serverName} spec.snapshotPolicies has a policy for share ${serverPolicy}, which wins: this DittoShare's snapshotPolicy is not applied`);
  }
  if (missing.length > 0) {
    return False(SHARE_REASON.PrincipalNotFound, `DittoServer ${serverName} has no ${missing.map((g) => `${g.kind} ${g.name}`).join(", ")}: their grants on ${name} are set once they exist`);
  }
  return { status: "True", reason: BOUND_REASON.InSync, message: `share ${name} is as specified` };
}

/** The stores the spec names that the server does not have (listed only before a create). */
async function missingStores(api: ShareSyncApi, token: string, d: DesiredShare, call: CallOptions): Promise<string[]> {
  const metadata = await api.listStores(token, "metadata", call);
  const block = await api.listStores(token, "block", call);
  return [
    ...(metadata.some((s) => s.name === d.metadataStore) ? [] : [`metadata store ${d.metadataStore}`]),
    ...(block.some((s) => s.name === d.localBlockStore) ? [] : [`local block store ${d.localBlockStore}`]),
  ];
}

/**
 * Sets the grants the spec asks for and removes those this DittoShare set that left it; returns the grants whose
 * user or group the server does not have. Recorded as its own: the grants it set, not those it found in place.
 */
async function syncGrants(api: ShareSyncApi, token: string, d: DesiredShare, fields: Fields, changed: string[], call: CallOptions): Promise<Grant[]> {
  const record = recordedGrants(fields);
  if (d.grants.length === 0 && record.length === 0) return [];
  const plan = planGrants(d.grants, await api.listGrants(token, d.name, call), record);
  const missing: Grant[] = [];
  const set: Grant[] = [];
  for (const g of plan.set) {
    try {
      await api.setGrant(token, d.name, g.kind, g.name, g.level, call);
      set.push(g);
      changed.push(`${g.kind} ${g.name}=${g.level}`);
    } catch (err) {
      if (!isDittoFsError(err, "notFound")) throw err;
      missing.push(g);
    }
  }
  for (const g of plan.remove) {
    try {
      await api.removeGrant(token, d.name, g.kind, g.name, call);
    } catch (err) {
      // Gone meanwhile: what the DELETE was for.
      if (!isDittoFsError(err, "notFound")) throw err;
    }
    changed.push(`${g.kind} ${g.name} removed`);
  }
  const same = (a: Grant, b: Grant): boolean => a.kind === b.kind && a.name === b.name;
  fields.permissions = grantRecord(d.grants.filter((g) => set.some((s) => same(s, g)) || record.some((r) => same(r, g))));
  return missing;
}

async function syncPolicy(api: ShareSyncApi, token: string, d: DesiredShare, fields: Fields, changed: string[], call: CallOptions): Promise<void> {
  const applied = fields.snapshotPolicy !== undefined;
  if (!d.policy && !applied) return;
  let observed: SnapshotPolicy | undefined;
  try {
    observed = await api.getSnapshotPolicy(token, d.name, call);
  } catch (err) {
    if (!isDittoFsError(err, "notFound")) throw err;
  }
  const action = planPolicy(d.name, d.policy, observed, applied);
  if (action.op === "put" && d.policy) {
    await api.putSnapshotPolicy(token, d.name, policyBody({ ...d.policy, share: d.name }), call);
    changed.push("snapshot policy");
  }
  if (action.op === "remove") {
    try {
      await api.deleteSnapshotPolicy(token, d.name, call);
    } catch (err) {
      if (!isDittoFsError(err, "notFound")) throw err;
    }
    changed.push("snapshot policy removed");
  }
  fields.snapshotPolicy = d.policy;
}

/** reclaimPolicy Delete: the share goes, but only the one this DittoShare recorded. */
export async function deleteShare(api: ShareSyncApi, input: Omit<ShareStepInput, "record">): Promise<CleanupStepResult> {
  const { share, token } = input;
  const status = share.status ?? {};
  const name = status.shareName ?? shareNameOf(share);
  const serverName = input.server.metadata.name ?? "";
  try {
    const observed = await api.getShare(token, name, { signal: input.signal });
    if (!observed) return { done: true };
    if (!deletable(observed, status)) {
      return { done: true, events: [{ type: "Warning", reason: SHARE_EVENT.ShareNotDeleted, action: "Delete", message: `share ${name} on DittoServer ${serverName} is not the one this DittoShare recorded (id ${observed.id}): left alone` }] };
    }
    try {
      await api.deleteShare(token, name, { signal: input.signal });
    } catch (err) {
      if (!isDittoFsError(err, "notFound")) throw err;
    }
    return { done: true, events: [{ type: "Normal", reason: SHARE_EVENT.ShareDeleted, action: "Delete", message: `deleted share ${name} (id ${observed.id}) from DittoServer ${serverName} (reclaimPolicy Delete)` }] };
  } catch (error) {
    return { done: false, error };
  }
}
