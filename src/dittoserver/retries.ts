/**
 * Which failures of a pass are worth retrying, and how soon.
 *
 * - A child the API server refuses as invalid (422) or malformed (400, 413, 415) gets the same answer for the same
 *   request: retrying it with back-off only hammers the API server. Such a refusal ends the retries for that
 *   generation: it becomes a spec problem (ConfigReady=False `InvalidSpec`, phase Failed) with a message that does
 *   not change between attempts, and `RefusalMemory` keeps the next passes from sending the same object again. A
 *   new generation, or a change of anything the object is built from (its hash differs), is tried again.
 *   403 (RBAC, quota), 409, 429, 5xx and network errors are transient: retried with back-off.
 *   Only applies and creates of rendered children are classified: a refused JSON patch with `test` ops means
 *   someone else changed the object meanwhile, and a refused status write is our own bug; both are retried.
 * - Back-off survives a restart or a leader change: a new leader's rate limiter starts from 5 ms, so the floor of
 *   the next retry is derived from the status (how long `Degraded` has said `ReconcileError`).
 */
import type { DittoServer } from "../api/types.ts";
import { ApiError, errorMessage } from "../runtime/errors.ts";
import { stableHash } from "./drift.ts";
import type { Write } from "./executor.ts";
import { COND, REASON } from "./reasons.ts";

/** HTTP codes the same request always gets again. */
const PERMANENT_CODES = new Set([400, 413, 415, 422]);

/** Longest retry floor (the work queue's own back-off cap is 1000 s too). */
export const MAX_RETRY_FLOOR_MS = 1_000_000;

/** Longest message kept from the API server's answer (status messages stay small). */
const MAX_MESSAGE = 1024;

/** The API server will refuse this write again, whatever the timing. */
export function isPermanentRefusal(write: Write, err: unknown): err is ApiError {
  if (write.op !== "apply" && write.op !== "create") return false;
  return err instanceof ApiError && PERMANENT_CODES.has(err.code);
}

/**
 * The API server's refusal as a stable sentence: the causes (field path: message) sorted and deduplicated, since
 * the API server lists them in Go map order, which changes from call to call. Without causes, its message.
 */
export function refusalMessage(err: ApiError): string {
  const causes = [...new Set((err.status?.details?.causes ?? []).map((c) => [c.field, c.message].filter(Boolean).join(": ")).filter(Boolean))].sort();
  const text = causes.length > 0 ? causes.join("; ") : (err.status?.message ?? errorMessage(err));
  const reason = err.reason || `HTTP ${err.code}`;
  const message = `refused by the API server (${reason}): ${text}`;
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/**
 * Identity of a write's request: the same hash, the same request (and the same answer, if permanent). The data of a
 * create is left out: only generated Secrets are created, and their values are fresh random bytes on every pass.
 */
export function writeHash(write: Write): string {
  const { op, resource, step } = write;
  const body = write.op === "create" ? { ...write.object, data: undefined, stringData: undefined } : "object" in write ? write.object : "patch" in write ? write.patch : "ops" in write ? write.ops : write.ref;
  return stableHash({ op, group: resource.group, plural: resource.plural, step, body });
}

/** A permanent refusal of one write, for one server UID and generation. */
export interface Refusal {
  uid: string;
  generation: number;
  writeHash: string;
  /** `step: refusalMessage`, for ConfigReady. */
  message: string;
}

export function refusalOf(server: DittoServer, write: Write, err: ApiError): Refusal {
  return { uid: server.metadata.uid ?? "", generation: server.metadata.generation ?? 0, writeHash: writeHash(write), message: `${write.step}: ${refusalMessage(err)}` };
}

/**
 * The refusal that still stands for this pass: same server (UID) and generation, and one of the planned writes is
 * the very request that was refused. Returns its index in `writes` (the pass stops there, as the executor would).
 */
export function standingRefusal(refusal: Refusal | undefined, server: DittoServer, writes: readonly Write[]): { index: number; refusal: Refusal } | undefined {
  if (!refusal || refusal.uid !== (server.metadata.uid ?? "") || refusal.generation !== (server.metadata.generation ?? 0)) return undefined;
  const index = writes.findIndex((w) => writeHash(w) === refusal.writeHash);
  return index < 0 ? undefined : { index, refusal };
}

/**
 * Permanent refusals by DittoServer key (`namespace/name`), held in the reconciler's dependencies (one per
 * controller, never module state). One per server: a pass stops at its first failure.
 */
export type RefusalMemory = Map<string, Refusal>;

/**
 * The least delay before retrying a failing pass, from the status this pass computed: half of how long `Degraded`
 * has said `ReconcileError`, capped at `MAX_RETRY_FLOOR_MS`. A failure that just started has floor 0 (the rate
 * limiter's exponential back-off rules); one a restarted leader inherits waits about as long as its predecessor's
 * back-off had reached, instead of starting again from 5 ms.
 */
export function retryFloorMs(status: DittoServer["status"], now: number): number {
  const degraded = status?.conditions?.find((c) => c.type === COND.Degraded);
  if (degraded?.status !== "True" || degraded.reason !== REASON.ReconcileError) return 0;
  const since = Date.parse(degraded.lastTransitionTime ?? "");
  if (!Number.isFinite(since) || now <= since) return 0;
  return Math.min(MAX_RETRY_FLOOR_MS, Math.floor((now - since) / 2));
}
