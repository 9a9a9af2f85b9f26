/**
 * When to call a server's API again after failures, as a plain value the caller keeps per DittoServer between
 * passes (in memory, dropped with the DittoServer), so a pass triggered by an unrelated event neither resets
 * the back-off nor hammers a server that is down.
 *
 * Two kinds of failure:
 * - transient (unreachable, 5xx, timeout): exponential, 2 s × 2^n capped at 5 min (the reference's numbers), with
 *   up to 20 % jitter so a thousand servers that failed together do not retry together;
 * - terminal (401/403 on the bootstrap admin, TLS, a rejected request): no retry until the inputs change (their
 *   fingerprint, e.g. a hash of the admin password Secret and TLS Secrets) or `terminalRetryMs` passes, in case
 *   someone fixes the server side with `dfsctl`. Never a loop on 401 or 403.
 */

export interface ApiBackoff {
  /** Consecutive failures. */
  failures: number;
  /** Epoch ms before which no call should be made. */
  retryAt: number;
  /** Set for a terminal failure: the inputs it failed with. */
  fingerprint?: string | undefined;
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Fraction of the delay added at random (0..1). */
  jitter: number;
  terminalRetryMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 2_000, maxMs: 300_000, jitter: 0.2, terminalRetryMs: 600_000 };

/** The delay after `failures` consecutive transient failures (1 = the first), before jitter. */
export function transientDelay(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

export function afterTransient(previous: ApiBackoff | undefined, now: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): ApiBackoff {
  const failures = (previous?.fingerprint === undefined ? (previous?.failures ?? 0) : 0) + 1;
  const delay = transientDelay(failures, policy);
  return { failures, retryAt: now + Math.round(delay * (1 + policy.jitter * random())) };
}

export function afterTerminal(previous: ApiBackoff | undefined, now: number, fingerprint: string, policy: BackoffPolicy = DEFAULT_BACKOFF): ApiBackoff {
  return { failures: (previous?.failures ?? 0) + 1, retryAt: now + policy.terminalRetryMs, fingerprint };
}

/** Whether a call may be made now; a terminal failure is retried at once when the inputs changed. */
export function mayCall(state: ApiBackoff | undefined, now: number, fingerprint: string): boolean {
  if (!state) return true;
  if (state.fingerprint !== undefined && state.fingerprint !== fingerprint) return true;
  return now >= state.retryAt;
}

/** Milliseconds until the next call is allowed (0 when allowed now), for the caller's requeue. */
export function waitMs(state: ApiBackoff | undefined, now: number): number {
  return state ? Math.max(0, state.retryAt - now) : 0;
}
