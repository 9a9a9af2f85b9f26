/**
 * What every kind bound to a DittoServer (DittoShare, DittoUser, DittoGroup) has in common in its API: the
 * reference to its server, how it takes over an object it did not create, what deleting it does, the ownership
 * it records, and the permission levels of the share API. Declared once here.
 */
import { Type } from "@sinclair/typebox";
import type { ObjectMeta } from "../../runtime/objects.ts";
import { ObjectName } from "./helpers.ts";

/** The annotation that lets a bound object take over a server object (share, user, group) it did not create. */
export const ADOPT_ANNOTATION = "dittofs.dittofs.com/adopt";

export function adoptRequested(metadata: ObjectMeta): boolean {
  return metadata.annotations?.[ADOPT_ANNOTATION] === "true";
}

/** What deleting the bound object does to its server object. */
export const RECLAIM_POLICIES = ["Retain", "Delete"] as const;

/** Creating: recorded before the create call (a crash after it does not orphan the object); Created; Adopted. */
export const BOUND_OWNERSHIPS = ["Creating", "Created", "Adopted"] as const;

/** Permission levels of the share API, for users and groups alike. */
export const PERMISSION_LEVELS = ["none", "read", "read-write", "admin"] as const;

export const ServerRefSchema = Type.Object(
  { name: ObjectName("Name of the DittoServer, in this object's namespace.") },
  { description: "The DittoServer whose API holds this object. Immutable." },
);
