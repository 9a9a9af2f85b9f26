/**
 * Whose a user or group on the server is, for the DittoUser or DittoGroup that names it (pure). Both are known to
 * the server by name, so the record is the ownership alone: `Creating` before the POST (a crash after it still
 * finds the object ours), then `Created`; `Adopted` with the adopt annotation. Anything else is left alone.
 */
import type { UserOwnership } from "../api/schema/dittouser.ts";
import { ADOPT_ANNOTATION } from "../api/schema/bound.ts";

export type Claim =
  /** Exists, and neither made nor adopted by this object: untouched. */
  | { kind: "unmanaged" }
  /** Does not exist and nothing is recorded: record `Creating` first, create at the next step. */
  | { kind: "claim" }
  /** Ours; `next` is the ownership to record (Creating becomes Created once the object is seen or made). */
  | { kind: "managed"; next: UserOwnership };

export function claimOf(exists: boolean, recorded: UserOwnership | undefined, adopt: boolean): Claim {
  if (recorded === undefined && exists && !adopt) return { kind: "unmanaged" };
  if (recorded === undefined && !exists) return { kind: "claim" };
  // No record here means the annotation adopts it.
  return { kind: "managed", next: recorded === "Adopted" || recorded === undefined ? "Adopted" : "Created" };
}

/** The Synced message of an unmanaged object: `what` is e.g. `user alice`, `kind` the resource's kind. */
export function unmanagedMessage(what: string, kind: string): string {
  return `${what} exists on the server and was not created by this ${kind}; annotate it with ${ADOPT_ANNOTATION}: "true" to manage it`;
}
