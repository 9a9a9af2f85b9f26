/**
 * The shell step that makes a server's snapshot policies match `spec.snapshotPolicies`: one list, then the PUTs
 * and DELETEs `planSnapshotPolicies` decides, their outcomes turned into the next `status.snapshotPolicies` record
 * (`nextPolicyRecord`). In sync, it costs one GET and no write.
 *
 * Failures: a missing share (404) and refused values (400) are outcomes of their policy, recorded and retried
 * after a back-off (`PolicyRetry`); any other failure (unreachable, 401, 403, TLS, an abort) stops the step at once
 * and is returned for the caller's API back-off, with the record reflecting only the calls that were answered.
 */
import type { SnapshotPolicySpec, SnapshotPolicyStatus } from "../api/types.ts";
import type { DittoFsClient } from "../dittofs/client.ts";
import { isDittoFsError } from "../dittofs/errors.ts";
import { afterRefusal, nextPolicyRecord, planSnapshotPolicies, retryPending } from "./snapshot-policies.ts";
import type { PolicyOutcome, PolicyRetries, PolicyRetry } from "./snapshot-policies.ts";

export type SnapshotPolicyApi = Pick<DittoFsClient, "listSnapshotPolicies" | "putSnapshotPolicy" | "deleteSnapshotPolicy">;

export interface PolicySyncInput {
  /** An admin-role access token (snapshot policies are admin-only on v0.29.0). */
  token: string;
  desired: readonly SnapshotPolicySpec[];
  /** The current `status.snapshotPolicies`: which policies the operator applied (and so may remove). */
  record: readonly SnapshotPolicyStatus[];
  /** What the previous passes of this server left (in memory, per DittoServer); {} at first. */
  retries?: PolicyRetries;
  now: number;
  signal?: AbortSignal | undefined;
}

export interface PolicySyncResult {
  /** The next `status.snapshotPolicies`. */
  record: SnapshotPolicyStatus[];
  retries: PolicyRetries;
  /** The PUTs and DELETEs made, as the server answered them (none when in sync): writes to the DittoFS API. */
  answered: PolicyOutcome[];
  /** The failure that stopped the step (a `DittoFsError` from the client); the caller backs off. */
  error?: Error;
}

/** A failure that belongs to one policy (recorded), not to the API (which stops the step). */
function refusal(err: unknown): PolicyRetry["result"] | undefined {
  if (isDittoFsError(err, "notFound")) return "shareNotFound";
  if (isDittoFsError(err, "rejected")) return "rejected";
  return undefined;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export async function syncSnapshotPolicies(client: SnapshotPolicyApi, input: PolicySyncInput): Promise<PolicySyncResult> {
  const { token, signal, now } = input;
  const previous = input.retries ?? {};
  let observed: Awaited<ReturnType<SnapshotPolicyApi["listSnapshotPolicies"]>>;
  try {
    observed = await client.listSnapshotPolicies(token, { signal });
  } catch (err) {
    return { record: [...input.record], retries: previous, answered: [], error: asError(err) };
  }
  const plan = planSnapshotPolicies(input.desired, observed, input.record);
  const outcomes: PolicyOutcome[] = [];
  const answered: PolicyOutcome[] = [];
  const retries: Record<string, PolicyRetry> = {};
  let error: Error | undefined;
  const outcome = (o: PolicyOutcome) => {
    outcomes.push(o);
    answered.push(o);
  };

  for (const { share, body } of plan.put) {
    const pending = retryPending(previous, share, body, now);
    if (pending) {
      // Not due yet: the last answer stands, so the record does not change.
      retries[share] = pending;
      outcomes.push({ share, op: "put", result: pending.result, message: pending.message });
      continue;
    }
    try {
      await client.putSnapshotPolicy(token, share, body, { signal });
      outcome({ share, op: "put", result: "ok" });
    } catch (err) {
      const result = refusal(err);
      if (!result) {
        error = asError(err);
        break;
      }
      const { message } = asError(err);
      retries[share] = afterRefusal(previous[share], { result, message }, body, now);
      outcome({ share, op: "put", result, message });
    }
  }
  for (const share of error ? [] : plan.remove) {
    try {
      await client.deleteSnapshotPolicy(token, share, { signal });
    } catch (err) {
      // Gone meanwhile (removed with dfsctl): what the DELETE was for.
      if (!isDittoFsError(err, "notFound")) {
        error = asError(err);
        break;
      }
    }
    outcome({ share, op: "remove", result: "ok" });
  }
  // Shares a failure kept from their call keep their back-off.
  for (const { share } of plan.put) {
    const retry = previous[share];
    if (retry && !outcomes.some((o) => o.share === share)) retries[share] = retry;
  }
  const record = nextPolicyRecord(plan, outcomes, input.record);
  return { record, retries, answered, ...(error ? { error } : {}) };
}
