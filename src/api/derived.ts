/**
 * Meanings the API defines but does not store: the effective database, whether the API serves HTTPS, the pod's
 * grace period. Builders, status and docs read these instead of re-deriving them.
 */
import { DEFAULTS, GRACE_SLACK_SECONDS, PRE_STOP_SECONDS } from "./defaults.ts";
import type { DittoServerSpec, PostgresSecretRef } from "./types.ts";

export type EffectiveDatabase =
  | { type: "sqlite"; path: string }
  | { type: "postgres"; source: "secret"; secretRef: PostgresSecretRef }
  | { type: "postgres"; source: "percona" };

/**
 * The database the server uses. CEL rules guarantee the combinations are consistent (Percona and
 * postgresSecretRef exclusive, `type` never contradicting them), so the order of checks here is not a policy.
 */
export function effectiveDatabase(spec: DittoServerSpec): EffectiveDatabase {
  if (spec.percona?.enabled) return { type: "postgres", source: "percona" };
  const ref = spec.database?.postgresSecretRef;
  if (ref) return { type: "postgres", source: "secret", secretRef: ref };
  return { type: "sqlite", path: spec.database?.sqlite?.path ?? DEFAULTS.database.sqlite.path };
}

/** HTTPS is on exactly when a certificate Secret is given (`tls: true` without one is rejected by the CRD). */
export function apiServesHttps(spec: DittoServerSpec): boolean {
  return spec.controlPlane.certSecretName !== undefined;
}

/** Mutual TLS: clients (and so HTTP probes) must present a certificate. */
export function apiRequiresClientCert(spec: DittoServerSpec): boolean {
  return spec.controlPlane.certSecretName !== undefined && spec.controlPlane.clientCASecretName !== undefined;
}

/** Seconds of a Go duration restricted to h/m/s units (the pattern the CRD enforces), e.g. `1m30s` → 90. */
export function durationSeconds(duration: string): number {
  const re = /([0-9]+)(h|m|s)/g;
  const unit = { h: 3600, m: 60, s: 1 } as const;
  let total = 0;
  let consumed = 0;
  for (const match of duration.matchAll(re)) {
    total += Number(match[1]) * unit[match[2] as keyof typeof unit];
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== duration.length) throw new Error(`invalid duration "${duration}": use h, m, s units, e.g. 30s`);
  return total;
}

/** The smallest grace period that lets the server finish: preStop + its 3 × shutdownTimeout + 5 s deadline + slack. */
export function minimumGracePeriodSeconds(shutdownTimeout: string): number {
  return PRE_STOP_SECONDS + 3 * durationSeconds(shutdownTimeout) + GRACE_SLACK_SECONDS;
}

/** The pod's terminationGracePeriodSeconds: the spec's value, or derived from shutdownTimeout (105 at 30s). */
export function terminationGracePeriodSeconds(spec: DittoServerSpec): number {
  return spec.terminationGracePeriodSeconds ?? minimumGracePeriodSeconds(spec.shutdownTimeout);
}
