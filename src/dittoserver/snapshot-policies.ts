/**
 * `spec.snapshotPolicies` against what the server holds: which PUTs and DELETEs make the server match, and the
 * record of what the operator applied.
 *
 * Ownership: the operator removes a policy only if it applied it. Its record is `status.snapshotPolicies`:
 * an `Applied` entry for a share means "we put this policy there". Policies made with dfsctl for other shares are
 * never touched; a policy made with dfsctl for a share in the spec is drift and is overwritten (the spec wins).
 *
 * Values are compared as the server means them, not as text: the server answers durations in Go's canonical
 * form (`@daily` → `24h0m0s`, `ttl: "0"` → absent), so `1h` and `60m` are the same interval.
 */
import type { SnapshotPolicySpec, SnapshotPolicyStatus } from "../api/types.ts";
import type { SnapshotPolicy, SnapshotPolicyBody } from "../dittofs/wire.ts";
import { parseGoDuration } from "./duration.ts";
import { REASON } from "./reasons.ts";
import { nextRefusal, pendingRefusal, REFUSAL_RETRY } from "./refusals.ts";
import type { Refusal, Refusals } from "./refusals.ts";

const SHORTHAND_NANOS: Record<string, bigint> = {
  "@hourly": 3_600_000_000_000n,
  "@daily": 86_400_000_000_000n,
  "@weekly": 604_800_000_000_000n,
};

/** A share name as the server stores it: exactly one leading `/`. */
export function normalizeShare(share: string): string {
  return `/${share.replace(/^\/+/, "")}`;
}

/** Nanoseconds of an interval (Go duration or @-shorthand); undefined if unparsable. */
function intervalNanos(interval: string): bigint | undefined {
  const shorthand = SHORTHAND_NANOS[interval.trim().toLowerCase()];
  if (shorthand !== undefined) return shorthand;
  const parsed = parseGoDuration(interval.trim());
  return parsed.ok ? parsed.nanoseconds : undefined;
}

/** Nanoseconds of a TTL; "" and "0" mean no bound (0). */
function ttlNanos(ttl: string | undefined): bigint | undefined {
  if (ttl === undefined || ttl === "" || ttl === "0") return 0n;
  const parsed = parseGoDuration(ttl);
  return parsed.ok ? parsed.nanoseconds : undefined;
}

/** The body of the PUT for a spec entry: unset fields are sent as the server's defaults, so a PUT replaces all. */
export function policyBody(spec: SnapshotPolicySpec): SnapshotPolicyBody {
  return {
    interval: spec.interval,
    keep_last: spec.keepLast ?? 0,
    ttl: spec.ttl ?? "",
    enabled: spec.enabled ?? true,
    name_prefix: spec.namePrefix ?? "",
  };
}

/** Whether the server's policy is what the spec entry asks for. */
export function policyMatches(spec: SnapshotPolicySpec, observed: SnapshotPolicy): boolean {
  const interval = intervalNanos(spec.interval);
  return (
    interval !== undefined &&
    interval === intervalNanos(observed.interval) &&
    ttlNanos(spec.ttl) === ttlNanos(observed.ttl) &&
    (spec.keepLast ?? 0) === observed.keepLast &&
    (spec.enabled ?? true) === observed.enabled &&
    (spec.namePrefix ?? "") === observed.namePrefix
  );
}

export interface PolicyPlan {
  /** Policies to PUT (missing or drifted), by normalised share. */
  put: { share: string; body: SnapshotPolicyBody }[];
  /** Shares whose policy we applied earlier, is still on the server, and left the spec. */
  remove: string[];
  /** Shares in the spec already as specified. */
  inSync: string[];
}

/**
 * The calls that make the server match the spec. `observed` is `GET /snapshot-policies`; `record` is the current
 * `status.snapshotPolicies`. A share's policy that left the spec but is not on the server any more needs no call.
 */
export function planSnapshotPolicies(desired: readonly SnapshotPolicySpec[], observed: readonly SnapshotPolicy[], record: readonly SnapshotPolicyStatus[]): PolicyPlan {
  const onServer = new Map(observed.map((p) => [normalizeShare(p.share), p]));
  const wanted = new Map(desired.map((p) => [normalizeShare(p.share), p]));
  const plan: PolicyPlan = { put: [], remove: [], inSync: [] };
  for (const [share, spec] of wanted) {
    const current = onServer.get(share);
    if (current && policyMatches(spec, current)) plan.inSync.push(share);
    else plan.put.push({ share, body: policyBody(spec) });
  }
  for (const entry of record) {
    const share = normalizeShare(entry.share);
    if (entry.state === "Applied" && !wanted.has(share) && onServer.has(share)) plan.remove.push(share);
  }
  return plan;
}

/** How one call of the plan ended. */
export type PolicyOutcome =
  | { share: string; op: "put" | "remove"; result: "ok" }
  /** 404 on a PUT: the share does not exist (yet). */
  | { share: string; op: "put"; result: "shareNotFound"; message: string }
  /** 400 on a PUT: the server refused the values. */
  | { share: string; op: "put"; result: "rejected"; message: string }
  /** Any other failure: the call is retried on the next pass. */
  | { share: string; op: "put" | "remove"; result: "failed"; message: string };

/**
 * The next `status.snapshotPolicies`: one entry per spec policy, plus the applied policies that left the spec and
 * could not be removed yet (so they are removed later). Sorted by share, so an unchanged record compares equal.
 */
export function nextPolicyRecord(plan: PolicyPlan, outcomes: readonly PolicyOutcome[], previous: readonly SnapshotPolicyStatus[]): SnapshotPolicyStatus[] {
  const byShare = new Map<string, SnapshotPolicyStatus>();
  const before = new Map(previous.map((e) => [normalizeShare(e.share), e]));
  for (const share of plan.inSync) byShare.set(share, { share, state: "Applied" });
  for (const { share } of plan.put) {
    const outcome = outcomes.find((o) => o.share === share && o.op === "put");
    if (!outcome || outcome.result === "failed") {
      // Not known to be on the server as specified; an earlier Applied stays Applied (it is still ours to remove).
      const earlier = before.get(share);
      byShare.set(share, earlier?.state === "Applied" ? { share, state: "Applied" } : { share, state: "Pending", ...(outcome ? { message: outcome.message } : {}) });
    } else if (outcome.result === "ok") byShare.set(share, { share, state: "Applied" });
    else byShare.set(share, { share, state: outcome.result === "shareNotFound" ? "ShareNotFound" : "Rejected", message: outcome.message });
  }
  for (const share of plan.remove) {
    const outcome = outcomes.find((o) => o.share === share && o.op === "remove");
    if (outcome?.result !== "ok") byShare.set(share, { share, state: "Applied" });
  }
  return [...byShare.values()].sort((a, b) => a.share.localeCompare(b.share));
}

/** A summary for a condition when some policy is not applied, naming the shares; undefined when all are. */
export function policyProblems(record: readonly SnapshotPolicyStatus[]): { reason: Exclude<PolicyCondition["reason"], typeof REASON.SnapshotPoliciesApplied>; message: string } | undefined {
  const missing = record.filter((e) => e.state === "ShareNotFound").map((e) => e.share);
  if (missing.length > 0) return { reason: REASON.ShareNotFound, message: `snapshot policy for share ${missing.join(", ")}: the share does not exist on the server` };
  const rejected = record.filter((e) => e.state === "Rejected");
  if (rejected.length > 0) return { reason: REASON.SnapshotPolicyRejected, message: rejected.map((e) => `snapshot policy for share ${e.share} rejected: ${e.message ?? ""}`).join("; ") };
  const pending = record.filter((e) => e.state === "Pending").map((e) => e.share);
  if (pending.length > 0) return { reason: REASON.SnapshotPolicyPending, message: `snapshot policy for share ${pending.join(", ")} not applied yet` };
  return undefined;
}

/** A condition's decision: `ok` is its status. */
export interface PolicyCondition {
  ok: boolean;
  reason: typeof REASON.SnapshotPoliciesApplied | typeof REASON.ShareNotFound | typeof REASON.SnapshotPolicyRejected | typeof REASON.SnapshotPolicyPending;
  message: string;
}

/**
 * `SnapshotPoliciesReady` from the spec and the record: absent when no policy is specified or recorded; True when
 * every specified policy is on the server as specified and none the operator applied waits for removal.
 */
export function snapshotPolicyCondition(desired: readonly SnapshotPolicySpec[], record: readonly SnapshotPolicyStatus[]): PolicyCondition | undefined {
  if (desired.length === 0 && record.length === 0) return undefined;
  const problem = policyProblems(record);
  if (problem) return { ok: false, ...problem };
  const wanted = desired.map((p) => normalizeShare(p.share));
  const recorded = new Set(record.map((e) => normalizeShare(e.share)));
  const waiting = wanted.filter((share) => !recorded.has(share));
  if (waiting.length > 0) return { ok: false, reason: REASON.SnapshotPolicyPending, message: `snapshot policy for share ${waiting.join(", ")} not applied yet` };
  const leaving = [...recorded].filter((share) => !wanted.includes(share));
  if (leaving.length > 0) return { ok: false, reason: REASON.SnapshotPolicyPending, message: `snapshot policy for share ${leaving.join(", ")} left the spec and is not removed from the server yet` };
  return { ok: true, reason: REASON.SnapshotPoliciesApplied, message: `snapshot policies applied for share ${wanted.join(", ")}` };
}

/**
 * A PUT the server refused: a missing share (someone has to create it; 30 s doubling to 10 min) or values it
 * rejects (10 min), tried again at once when its body changes (./refusals.ts).
 */
export type PolicyRetry = Refusal<"shareNotFound" | "rejected">;

export type PolicyRetries = Refusals<PolicyRetry["result"]>;

export const POLICY_RETRY = REFUSAL_RETRY;

/** The refusal to report again instead of a PUT of `body` for `share`; undefined when the PUT is due. */
export function retryPending(retries: PolicyRetries, share: string, body: SnapshotPolicyBody, now: number): PolicyRetry | undefined {
  return pendingRefusal(retries, share, JSON.stringify(body), now);
}

/** The retry state after a PUT of `body` for `share` was refused again (or for the first time). */
export function afterRefusal(previous: PolicyRetry | undefined, outcome: { result: PolicyRetry["result"]; message: string }, body: SnapshotPolicyBody, now: number, random: () => number = Math.random): PolicyRetry {
  return nextRefusal(previous, outcome, JSON.stringify(body), now, outcome.result === "shareNotFound" ? "doubling" : "fixed", random);
}
