/**
 * A principal's own grants on shares (pure), shared by DittoUser and DittoGroup: which to set, which to revoke, and
 * the next record. Only grants the object set (its record) are ever revoked; a DittoShare that grants the same
 * principal a level on its share wins: that grant is neither written nor revoked here, and a different level is a
 * conflict naming the DittoShare.
 */
import type { DittoShare } from "../api/schema/dittoshare.ts";
import type { PermissionLevel } from "../dittofs/wire-users.ts";
import { normalizeShare } from "../dittoserver/snapshot-policies.ts";
import { shareNameOf } from "../dittoshare/plan.ts";
import { USER_REASONS } from "./reasons.ts";
import type { UserReason } from "./reasons.ts";

export interface Problem {
  reason: UserReason;
  message: string;
}

/** A grant as the spec and the record hold it (share names normalised in `wanted`). */
export interface ShareGrant {
  share: string;
  level: PermissionLevel;
}

/** A DittoShare of the same server granting this principal a level on its share. */
export interface ShareGrantClaim {
  share: string;
  level: string;
  /** The DittoShare's name, for the conflict message. */
  by: string;
}

/** The grants the live DittoShares of `server` give the principal (`users` or `groups` of their permissions). */
export function shareClaims(server: string, kind: "users" | "groups", principal: string, shares: readonly DittoShare[]): ShareGrantClaim[] {
  return shares
    .filter((s) => s.spec.serverRef.name === server && !s.metadata.deletionTimestamp)
    .flatMap((s) => (s.spec.permissions?.[kind] ?? []).filter((g) => g.name === principal).map((g) => ({ share: shareNameOf(s), level: g.level, by: s.metadata.name ?? "" })));
}

export type GrantStep = { op: "grant"; share: string; level: PermissionLevel } | { op: "revoke"; share: string };

export interface GrantInput {
  wanted: readonly ShareGrant[];
  recorded: readonly ShareGrant[];
  /** The principal's level on each share of interest (undefined: no grant). Shares the server lacks are absent. */
  observed: ReadonlyMap<string, string | undefined>;
  claims: readonly ShareGrantClaim[];
  /** Whether the principal exists yet (a new one has no grant to compare or revoke). */
  exists: boolean;
}

export function planGrants(input: GrantInput): { steps: GrantStep[]; recorded: ShareGrant[]; problems: Problem[] } {
  const { wanted, observed, claims, exists } = input;
  const steps: GrantStep[] = [];
  const recorded: ShareGrant[] = [];
  const problems: Problem[] = [];
  for (const want of wanted) {
    const claim = claims.find((c) => c.share === want.share);
    if (claim) {
      if (claim.level !== want.level) {
        problems.push({ reason: USER_REASONS.PermissionConflict, message: `DittoShare ${claim.by} grants ${want.share} at ${claim.level}; it wins over ${want.level} here` });
      }
      continue;
    }
    if (!observed.has(want.share)) {
      problems.push({ reason: USER_REASONS.ShareNotFound, message: `share ${want.share} does not exist on the server` });
      continue;
    }
    if (!exists || observed.get(want.share) !== want.level) steps.push({ op: "grant", share: want.share, level: want.level });
    recorded.push(want);
  }
  for (const had of input.recorded) {
    const share = normalizeShare(had.share);
    if (wanted.some((w) => w.share === share) || claims.some((c) => c.share === share)) continue;
    // Left the spec: removed only while the server still has it; a share gone took the grant with it.
    if (exists && observed.get(share) !== undefined) steps.push({ op: "revoke", share });
  }
  return { steps, recorded, problems };
}

/** Shares whose grants matter: the wanted ones and the ones recorded before. */
export function sharesOfInterest(wanted: readonly ShareGrant[], recorded: readonly ShareGrant[]): string[] {
  return [...new Set([...wanted.map((p) => p.share), ...recorded.map((p) => normalizeShare(p.share))])].sort();
}
