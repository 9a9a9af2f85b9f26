/**
 * The pure core of the DittoShare controller: the share a DittoShare asks for, whether the share on the server is
 * its own (created, adopted, or someone else's), and which calls make the server match the spec.
 *
 * Ownership: a share is changed (or deleted) only when its id is the one the status recorded, or when the status
 * says `Creating` for that name (the create call went out and the operator stopped before recording the id), or
 * when the DittoShare carries the adopt annotation. Anything else is left alone and reported.
 */
import type { DittoShare, DittoSharePolicy, DittoShareStatus } from "../api/schema/dittoshare.ts";
import type { DittoServer } from "../api/types.ts";
import type { CreateShareBody, GrantKind, Share, ShareGrant, UpdateShareBody } from "../dittofs/shares.ts";
import type { SnapshotPolicy } from "../dittofs/wire.ts";
import { normalizeShare, policyMatches } from "../dittoserver/snapshot-policies.ts";

export interface Grant {
  kind: GrantKind;
  name: string;
  level: string;
}

export interface DesiredShare {
  /** Normalised: exactly one leading `/`. */
  name: string;
  metadataStore: string;
  localBlockStore: string;
  remoteBlockStore: string | undefined;
  readOnly: boolean;
  enabled: boolean;
  defaultPermission: string;
  squash: string | undefined;
  grants: Grant[];
  policy: DittoSharePolicy | undefined;
}

export function shareNameOf(share: DittoShare): string {
  return normalizeShare(share.spec.shareName ?? share.metadata.name ?? "");
}

export function desiredShare(share: DittoShare): DesiredShare {
  const { spec } = share;
  const grants = (kind: GrantKind, list: readonly { name: string; level: string }[] | undefined): Grant[] => (list ?? []).map((g) => ({ kind, name: g.name, level: g.level }));
  return {
    name: shareNameOf(share),
    metadataStore: spec.metadataStore,
    localBlockStore: spec.localBlockStore,
    remoteBlockStore: spec.remoteBlockStore,
    readOnly: spec.readOnly,
    enabled: spec.enabled,
    defaultPermission: spec.defaultPermission,
    squash: spec.squash,
    grants: [...grants("user", spec.permissions?.users), ...grants("group", spec.permissions?.groups)],
    policy: spec.snapshotPolicy,
  };
}

export function createBody(d: DesiredShare): CreateShareBody {
  return {
    name: d.name,
    metadata_store_id: d.metadataStore,
    local_block_store: d.localBlockStore,
    ...(d.remoteBlockStore ? { remote_block_store: d.remoteBlockStore } : {}),
    read_only: d.readOnly,
    default_permission: d.defaultPermission,
  };
}

/** What the status says about the share on the server (the ownership record). */
export type ShareRecord = Pick<DittoShareStatus, "shareName" | "shareID" | "ownership">;

export type Ownership =
  | { kind: "create" }
  /** Ours; `claim` is what to record when the status does not say so yet. */
  | { kind: "managed"; share: Share; claim?: "Created" | "Adopted" }
  | { kind: "unmanaged"; share: Share };

export function ownership(observed: Share | undefined, record: ShareRecord, adopt: boolean): Ownership {
  if (!observed) return { kind: "create" };
  const recordedId = record.ownership === "Created" || record.ownership === "Adopted" ? record.shareID : undefined;
  if (recordedId !== undefined && recordedId === observed.id) return { kind: "managed", share: observed };
  if (record.ownership === "Creating" && record.shareName === observed.name) return { kind: "managed", share: observed, claim: "Created" };
  if (adopt) return { kind: "managed", share: observed, claim: "Adopted" };
  return { kind: "unmanaged", share: observed };
}

/** Whether deleting the DittoShare (reclaimPolicy Delete) may delete this share: only the one it recorded. */
export function deletable(observed: Share, record: ShareRecord): boolean {
  if (record.ownership === "Creating") return record.shareName === observed.name;
  return record.shareID !== undefined && record.shareID === observed.id;
}

/** The server stores "" for a default permission set to nothing, and "none" is what it means. */
const permissionOf = (level: string): string => (level === "" ? "none" : level);

/** The PUT body for the managed fields that drifted (undefined: none), and the enabled state to set, if it differs. */
export function shareUpdates(d: DesiredShare, observed: Share): { update?: UpdateShareBody; enable?: boolean } {
  const update: UpdateShareBody = {};
  if (observed.readOnly !== d.readOnly) update.read_only = d.readOnly;
  if (permissionOf(observed.defaultPermission) !== d.defaultPermission) update.default_permission = d.defaultPermission;
  return { ...(Object.keys(update).length > 0 ? { update } : {}), ...(observed.enabled !== d.enabled ? { enable: d.enabled } : {}) };
}

export interface GrantPlan {
  set: Grant[];
  /** Grants this DittoShare set earlier that left the spec and are still on the server. */
  remove: Grant[];
}

const sameGrant = (a: { kind: string; name: string }, b: { kind: string; name: string }): boolean => a.kind === b.kind && a.name === b.name;
const fromServer = (g: ShareGrant): { kind: string; name: string; level: string } => ({ kind: g.type, name: g.name, level: g.level });

export function planGrants(desired: readonly Grant[], observed: readonly ShareGrant[], record: readonly Grant[]): GrantPlan {
  const onServer = observed.map(fromServer);
  return {
    set: desired.filter((d) => !onServer.some((o) => sameGrant(o, d) && o.level === d.level)),
    remove: record.filter((r) => !desired.some((d) => sameGrant(d, r)) && onServer.some((o) => sameGrant(o, r))),
  };
}

/** `status.permissions` from grants, and back. */
export function grantRecord(grants: readonly Grant[]): DittoShareStatus["permissions"] {
  const of = (kind: GrantKind) => grants.filter((g) => g.kind === kind).map((g) => ({ name: g.name, level: g.level }));
  const users = of("user");
  const groups = of("group");
  if (users.length === 0 && groups.length === 0) return undefined;
  return { ...(users.length ? { users } : {}), ...(groups.length ? { groups } : {}) };
}

export function recordedGrants(status: DittoShareStatus | undefined): Grant[] {
  const p = status?.permissions;
  return [...(p?.users ?? []).map((g) => ({ kind: "user" as const, ...g })), ...(p?.groups ?? []).map((g) => ({ kind: "group" as const, ...g }))];
}

/** The DittoServer's `spec.snapshotPolicies` entry for this share, which wins over the DittoShare's own. */
export function serverPolicyFor(server: DittoServer, shareName: string): string | undefined {
  return (server.spec.snapshotPolicies ?? []).find((p) => normalizeShare(p.share) === shareName)?.share;
}

export type PolicyAction = { op: "none" } | { op: "put" } | { op: "remove" };

/** What to do with the share's policy: `desired` (the spec's), `observed` (the server's), `applied` (the record). */
export function planPolicy(shareName: string, desired: DittoSharePolicy | undefined, observed: SnapshotPolicy | undefined, applied: boolean): PolicyAction {
  if (desired) return observed && policyMatches({ ...desired, share: shareName }, observed) ? { op: "none" } : { op: "put" };
  return applied && observed ? { op: "remove" } : { op: "none" };
}
