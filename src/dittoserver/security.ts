/**
 * Secure-by-default security contexts that satisfy Pod Security `restricted`, with the user's values merged over
 * them field by field (a user value always wins, so a deliberate relaxation is honoured; an absent field keeps
 * the secure default).
 */

/** UID/GID of the DittoFS image user (`65532:65532`). */
export const DITTOFS_UID = 65532;

export interface SeccompProfile {
  type: string;
  localhostProfile?: string;
}

export interface Capabilities {
  add?: string[];
  drop?: string[];
}

/** Container securityContext, plain JSON; unknown fields pass through untouched. */
export interface SecurityContext {
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
  capabilities?: Capabilities;
  seccompProfile?: SeccompProfile;
  [field: string]: unknown;
}

/** Pod securityContext, plain JSON; unknown fields pass through untouched. */
export interface PodSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  seccompProfile?: SeccompProfile;
  [field: string]: unknown;
}

export function defaultPodSecurityContext(): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: DITTOFS_UID,
    runAsGroup: DITTOFS_UID,
    fsGroup: DITTOFS_UID,
    // Volumes are chowned only when their root does not already match: fast restarts on big PVCs.
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function defaultContainerSecurityContext(): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Recursive merge for security contexts: objects merge key by key, anything else (scalars, arrays) from
 * `override` replaces the default; `undefined` in the override keeps the default. Never mutates its inputs.
 */
function mergeOver(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeOver(current, value) : structuredClone(value);
  }
  return out;
}

export function podSecurityContext(user: PodSecurityContext | undefined): PodSecurityContext {
  return mergeOver(defaultPodSecurityContext(), user ?? {});
}

/**
 * Container context: user fields win. Setting only `capabilities.add` keeps the default `drop: [ALL]`, because
 * the capabilities object merges key by key.
 */
export function containerSecurityContext(user: SecurityContext | undefined): SecurityContext {
  return mergeOver(defaultContainerSecurityContext(), user ?? {});
}
