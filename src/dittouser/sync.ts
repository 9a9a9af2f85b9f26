/**
 * The shell step that makes one user on a server match its DittoUser: reads the user, the server's groups (only
 * when spec.groups is set) and this user's grants on the shares of interest, plans (./plan.ts), then makes the
 * calls in order. In sync it costs those GETs and no write.
 *
 * Failures: a share that vanished between the read and the grant is a problem of that share; any other failure
 * stops the step and is returned for the caller's back-off, with the record reflecting only the calls answered.
 * The password travels only in call bodies; the client redacts it from every error text.
 */
import type { DittoFsClient } from "../dittofs/client.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import { shareApi } from "../dittofs/shares.ts";
import type { GrantKind, ShareApi } from "../dittofs/shares.ts";
import { sharesOfInterest } from "./grants.ts";
import type { GrantStep, Problem } from "./grants.ts";
import { planUser } from "./plan.ts";
import type { PlanInput, UserPlan, UserRecordState, UserStep } from "./plan.ts";
import { USER_REASONS } from "./reasons.ts";

/** The share-grant calls (../dittofs/shares.ts) of users and groups. */
export type GrantApi = Pick<ShareApi, "listGrants" | "setGrant" | "removeGrant">;

/** The user calls of the client and the share-grant calls the step makes. */
export interface UserApi {
  users: Pick<DittoFsClient, "getUser" | "createUser" | "updateUser" | "resetPassword" | "login" | "changeOwnPassword" | "listGroups">;
  shares: GrantApi;
}

export function userApi(client: DittoFsClient): UserApi {
  return { users: client, shares: shareApi(client) };
}

export interface UserSyncInput extends Omit<PlanInput, "observed"> {
  /** An admin-role access token (user management is admin-only). */
  token: string;
  signal?: AbortSignal | undefined;
}

export interface UserSyncResult {
  record: UserRecordState;
  problems: Problem[];
  /** The steps the server accepted (none when in sync). */
  done: UserStep["op"][];
  /** Only the claim was recorded: write the status and come back at once. */
  claimOnly: boolean;
  /** Whether the server has the user after the step (and this DittoUser manages it). */
  present: boolean;
  error?: Error;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

async function observe(api: UserApi, input: UserSyncInput): Promise<PlanInput["observed"]> {
  const { token, signal, desired } = input;
  const opts = { signal };
  let user;
  try {
    user = await api.users.getUser(token, desired.username, opts);
  } catch (err) {
    if (!isDittoFsError(err, "notFound")) throw err;
  }
  const serverGroups = desired.groups === undefined ? undefined : new Set((await api.users.listGroups(token, opts)).map((g) => g.name));
  const grants = await readGrants(api.shares, token, "user", desired.username, sharesOfInterest(desired.sharePermissions, input.record.sharePermissions), signal);
  return { user, grants, serverGroups };
}

/** The principal's level on each share (undefined: no grant); a share the server lacks is left out. */
export async function readGrants(api: GrantApi, token: string, kind: GrantKind, principal: string, shares: readonly string[], signal: AbortSignal | undefined): Promise<Map<string, string | undefined>> {
  const grants = new Map<string, string | undefined>();
  for (const share of shares) {
    try {
      const entries = await api.listGrants(token, share, { signal });
      grants.set(share, entries.find((e) => e.type === kind && e.name === principal)?.level);
    } catch (err) {
      if (!isDittoFsError(err, "notFound")) throw err;
    }
  }
  return grants;
}

export function performGrant(api: GrantApi, token: string, kind: GrantKind, principal: string, step: GrantStep, signal: AbortSignal | undefined): Promise<void> {
  return step.op === "grant" ? api.setGrant(token, step.share, kind, principal, step.level, { signal }) : api.removeGrant(token, step.share, kind, principal, { signal });
}

async function perform(api: UserApi, input: UserSyncInput, step: UserStep): Promise<void> {
  const { token, signal, desired, password } = input;
  const opts = { signal };
  const secret = password?.value ?? "";
  switch (step.op) {
    case "create":
      await api.users.createUser(token, { username: desired.username, password: secret, ...step.fields }, opts);
      return;
    case "update":
      await api.users.updateUser(token, desired.username, step.changes, opts);
      return;
    case "setPassword":
      await api.users.resetPassword(token, desired.username, secret, opts);
      return;
    case "clearMustChange": {
      const session = await api.users.login(desired.username, secret, opts);
      await api.users.changeOwnPassword(session.accessToken, secret, secret, opts);
      return;
    }
    case "grant":
    case "revoke":
      await performGrant(api.shares, token, "user", desired.username, step, signal);
      return;
  }
}

/** The record after a failure: the plan's claim and password version only if the steps that earn them ran. */
function partialRecord(input: UserSyncInput, plan: UserPlan, done: UserStep["op"][]): UserRecordState {
  const created = done.includes("create");
  const passwordSet = created || done.includes("setPassword");
  return {
    ownership: created || input.record.ownership !== undefined ? plan.next.ownership : input.record.ownership,
    passwordVersion: passwordSet ? plan.next.passwordVersion : input.record.passwordVersion,
    // Keep every grant that was or is ours, so a later pass still removes the ones that left the spec.
    sharePermissions: [...new Map([...input.record.sharePermissions, ...plan.next.sharePermissions].map((p) => [p.share, p])).values()],
  };
}

export async function syncUser(api: UserApi, input: UserSyncInput): Promise<UserSyncResult> {
  let observed: PlanInput["observed"];
  try {
    observed = await observe(api, input);
  } catch (err) {
    return { record: input.record, problems: [], done: [], claimOnly: false, present: false, error: asError(err) };
  }
  const plan = planUser({ ...input, observed });
  const problems = [...plan.problems];
  const done: UserStep["op"][] = [];
  for (const step of plan.steps) {
    try {
      await perform(api, input, step);
      done.push(step.op);
    } catch (err) {
      if (step.op === "grant" && isDittoFsError(err, "notFound")) {
        problems.push({ reason: USER_REASONS.ShareNotFound, message: `share ${step.share} does not exist on the server` });
        continue;
      }
      return { record: partialRecord(input, plan, done), problems, done, claimOnly: false, present: observed.user !== undefined || done.includes("create"), error: asError(err) };
    }
  }
  const present = plan.next.ownership !== undefined && plan.next.ownership !== "Creating" && (observed.user !== undefined || done.includes("create"));
  return { record: plan.next, problems, done, claimOnly: plan.claimOnly, present };
}
