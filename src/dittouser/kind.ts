/**
 * DittoUser as a kind bound to a DittoServer (../serverbound/): its resource, finalizer (reclaimPolicy Delete),
 * the password Secret it reads, and the step that makes the user on the server match the spec.
 *
 * The step: the password (creating the generated Secret once when the spec names none), the claim recorded before
 * a create, then the sync (./sync.ts). The password goes only into the API calls; status carries the Secret's
 * name and uid/resourceVersion.
 */
import { randomBytes } from "node:crypto";
import { GROUP, VERSION } from "../api/constants.ts";
import type { DittoGroup } from "../api/schema/dittogroup.ts";
import type { DittoUser, DittoUserStatus } from "../api/schema/dittouser.ts";
import { adoptRequested } from "../api/schema/bound.ts";
import type { DittoShare } from "../api/schema/dittoshare.ts";
import { USER_KIND } from "../api/schema/dittouser.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import { DITTOSHARES } from "../dittoshare/kind.ts";
import { shareNameOf } from "../dittoshare/plan.ts";
import type { ResourceType } from "../runtime/resources.ts";
import type { BoundObject, CleanupStepResult, ServerboundKind, SyncContext, SyncResult } from "../serverbound/kind.ts";
import { shareClaims } from "./grants.ts";
import { DITTOGROUPS } from "./group-kind.ts";
import { desiredGroup } from "./group-plan.ts";
import { GENERATED_PASSWORD_BYTES, generatedPasswordSecret, passwordSource, resolvePassword } from "./password.ts";
import { desiredUser } from "./plan.ts";
import type { UserRecordState } from "./plan.ts";
import { USER_REASONS } from "./reasons.ts";
import { syncUser, userApi } from "./sync.ts";
import type { UserSyncResult } from "./sync.ts";
import { verdicts } from "./verdicts.ts";

export const DITTOUSERS: ResourceType = { group: GROUP, version: VERSION, plural: "dittousers", kind: USER_KIND, namespaced: true };
export const USER_FINALIZER = `${GROUP}/user-cleanup`;

function asUser(obj: BoundObject): DittoUser {
  return obj as unknown as DittoUser;
}

function recordOf(status: DittoUserStatus | undefined): UserRecordState {
  return { ownership: status?.ownership, passwordVersion: status?.passwordVersion, sharePermissions: status?.sharePermissions ?? [] };
}

function statusFields(user: DittoUser, record: UserRecordState, passwordSecret: string): Record<string, unknown> {
  return {
    username: desiredUser(user).username,
    ...(record.ownership ? { ownership: record.ownership } : {}),
    passwordSecret,
    ...(record.passwordVersion ? { passwordVersion: record.passwordVersion } : {}),
    ...(record.sharePermissions.length > 0 ? { sharePermissions: record.sharePermissions } : {}),
  };
}

async function syncStep(ctx: SyncContext): Promise<SyncResult> {
  const user = asUser(ctx.object);
  const source = passwordSource(user);
  let secret = ctx.secret(source.name);
  if (!secret && source.generated) secret = await ctx.createSecret(generatedPasswordSecret(user, randomBytes(GENERATED_PASSWORD_BYTES)));
  const resolved = resolvePassword(user, secret);
  const input = {
    token: ctx.token,
    desired: desiredUser(user),
    adopt: adoptRequested(user.metadata),
    record: recordOf(user.status),
    password: resolved.ok ? resolved.password : undefined,
    passwordProblem: resolved.ok ? undefined : resolved.message,
    claims: shareClaims(user.spec.serverRef.name, "users", desiredUser(user).username, ctx.peers(DITTOSHARES) as unknown as DittoShare[]),
    signal: ctx.signal,
  };
  const api = userApi(ctx.api);
  let result: UserSyncResult = await syncUser(api, input);
  if (result.claimOnly && !result.error) {
    // Recorded before the POST: a crash after it still finds the user ours.
    await ctx.record(statusFields(user, result.record, source.name));
    result = await syncUser(api, { ...input, record: result.record });
  }
  const { synced, ready } = verdicts(`user ${input.desired.username}`, USER_REASONS.UserExists, result.problems, result.present);
  return { fields: statusFields(user, result.record, source.name), synced, ready, ...(result.error ? { error: result.error } : {}) };
}

/** reclaimPolicy Delete removes the user, but only one this DittoUser created or adopted. */
function needsServer(obj: BoundObject): boolean {
  const user = asUser(obj);
  return user.spec.reclaimPolicy === "Delete" && user.status?.ownership !== undefined;
}

async function cleanup(ctx: SyncContext): Promise<CleanupStepResult> {
  const username = desiredUser(asUser(ctx.object)).username;
  try {
    await ctx.api.deleteUser(ctx.token, username, { signal: ctx.signal });
  } catch (err) {
    if (!isDittoFsError(err, "notFound")) return { done: false, error: err };
  }
  return { done: true, events: [{ type: "Normal", reason: USER_REASONS.UserDeleted, action: "Delete", message: `user ${username} deleted from the server (reclaimPolicy Delete)` }] };
}

export const DITTOUSER_KIND: ServerboundKind = {
  resource: DITTOUSERS,
  controllerName: "dittouser",
  finalizer: { name: USER_FINALIZER, cleanup, needsServer },
  secretNames: (obj) => [passwordSource(asUser(obj)).name],
  // A group or share it names appearing (or a DittoShare's grant changing) is seen at once, not at the next poll.
  wokenBy: [
    { resource: DITTOGROUPS, names: (obj) => asUser(obj).spec.groups ?? [], nameOf: (group) => desiredGroup(group as unknown as DittoGroup).name },
    { resource: DITTOSHARES, names: (obj) => desiredUser(asUser(obj)).sharePermissions.map((p) => p.share), nameOf: (share) => shareNameOf(share as unknown as DittoShare) },
  ],
  sync: syncStep,
};
