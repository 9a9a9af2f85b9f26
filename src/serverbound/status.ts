/**
 * The pure core of the bound-resource controller: what a resolved (or unresolved) server means for the
 * conditions, how a failed DittoFS call is classified, the next status, and the events of transitions.
 */
import { isDeepStrictEqual } from "node:util";
import type { DittoServer } from "../api/types.ts";
import type { DittoFsErrorKind } from "../dittofs/errors.ts";
import { DittoFsError } from "../dittofs/errors.ts";
import type { Borrowed } from "../dittoserver/api-pass.ts";
import { findCondition, setCondition } from "../runtime/conditions.ts";
import type { Condition } from "../runtime/objects.ts";
import type { BoundEvent, BoundObject, BoundStatus, Verdict } from "./kind.ts";
import { BOUND_COND, BOUND_REASON } from "./reasons.ts";

/** The server a bound object names, as far as a pass can use it. */
export type Resolution =
  | { kind: "missing"; name: string }
  | { kind: "deleting"; name: string }
  | { kind: "noSession"; name: string; server: DittoServer; message: string }
  | { kind: "ready"; server: DittoServer; session: Extract<Borrowed, { ok: true }> };

export function resolveServer(name: string, server: DittoServer | undefined, borrow: (server: DittoServer) => Borrowed): Resolution {
  if (!server) return { kind: "missing", name };
  if (server.metadata.deletionTimestamp) return { kind: "deleting", name };
  const session = borrow(server);
  return session.ok ? { kind: "ready", server, session } : { kind: "noSession", name, server, message: session.message };
}

/** Both conditions while the server cannot be used (the object's own fields stay as they were). */
export function unresolvedVerdict(r: Exclude<Resolution, { kind: "ready" }>, namespace: string): Verdict {
  switch (r.kind) {
    case "missing":
      return { status: "False", reason: BOUND_REASON.ServerNotFound, message: `DittoServer ${r.name} not found in namespace ${namespace}; waiting for it to be created` };
    case "deleting":
      return { status: "False", reason: BOUND_REASON.ServerDeleting, message: `DittoServer ${r.name} is being deleted` };
    case "noSession":
      return { status: "False", reason: BOUND_REASON.ServerNotReady, message: `DittoServer ${r.name} has no DittoFS API session: ${r.message}` };
  }
}

/** How a failed DittoFS call is handled: log in again, back off, or wait for a spec change (or a long back-off). */
export type Failure = { kind: "unauthorized" } | { kind: "transient"; message: string } | { kind: "rejected"; message: string };

const REJECTED: readonly DittoFsErrorKind[] = ["forbidden", "mustChangePassword", "notFound", "conflict", "rejected"];

/** Undefined for anything that is not a DittoFS failure: a bug, which the work queue reports as one. */
export function classifyFailure(err: unknown): Failure | undefined {
  if (!(err instanceof DittoFsError)) return undefined;
  if (err.kind === "unauthorized") return { kind: "unauthorized" };
  if (REJECTED.includes(err.kind)) return { kind: "rejected", message: err.message };
  return { kind: "transient", message: err.message };
}

export function failureVerdict(f: Exclude<Failure, { kind: "unauthorized" }>, where: string): Verdict {
  return f.kind === "transient"
    ? { status: "False", reason: BOUND_REASON.APIUnreachable, message: `the DittoFS API at ${where} failed; retrying with back-off: ${f.message}` }
    : { status: "False", reason: BOUND_REASON.APIRejected, message: `the DittoFS API at ${where} refused the change; retried when the spec changes: ${f.message}` };
}

/** The next status: the kind's fields (or the current ones), `Ready` and `Synced` at this generation. */
export function nextBoundStatus(object: BoundObject, fields: Record<string, unknown> | undefined, synced: Verdict, ready: Verdict, now: number): BoundStatus {
  const generation = object.metadata.generation;
  const { conditions: current, observedGeneration: _observed, ...kept } = object.status ?? {};
  const at = (v: Verdict) => ({ ...v, ...(generation !== undefined ? { observedGeneration: generation } : {}) });
  let conditions = setCondition(current, { type: BOUND_COND.Ready, ...at(ready) }, now);
  conditions = setCondition(conditions, { type: BOUND_COND.Synced, ...at(synced) }, now);
  return { ...(fields ?? kept), ...(generation !== undefined ? { observedGeneration: generation } : {}), conditions };
}

/** Equal as written (undefined fields dropped). */
export function boundStatusEqual(a: BoundStatus | undefined, b: BoundStatus | undefined): boolean {
  const plain = (s: BoundStatus | undefined): unknown => (s === undefined ? {} : JSON.parse(JSON.stringify(s)));
  return isDeepStrictEqual(plain(a), plain(b));
}

/** One event per change of `Synced` (status or reason): Normal when it turns True, else a Warning. */
export function transitionEvents(previous: readonly Condition[] | undefined, next: readonly Condition[] | undefined): BoundEvent[] {
  const before = findCondition(previous, BOUND_COND.Synced);
  const after = findCondition(next, BOUND_COND.Synced);
  if (!after || (before?.status === after.status && before.reason === after.reason)) return [];
  return [{ type: after.status === "True" ? "Normal" : "Warning", reason: after.reason, action: "Sync", message: after.message }];
}
