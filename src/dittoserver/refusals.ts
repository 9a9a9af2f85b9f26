/**
 * The memory of a write the server refused for a reason a prompt retry cannot fix (a missing share, values it
 * rejects, a store name taken): the write is made again when its body changes (the spec or a Secret changed), or
 * after a back-off of 30 s doubling to 10 min ("doubling") or a flat 10 min ("fixed"). Kept per DittoServer by the
 * API pass between passes (in memory), so a refused object costs one call per back-off step, not one per poll.
 * Shared by every push step (snapshot policies, stores): one back-off for every refusal.
 */
import { afterTerminal, afterTransient } from "../dittofs/backoff.ts";
import type { ApiBackoff, BackoffPolicy } from "../dittofs/backoff.ts";

export interface Refusal<R extends string = string> {
  result: R;
  message: string;
  /** What was refused, as text (a JSON body, or a hash of one that carries a secret), to see a change. */
  body: string;
  backoff: ApiBackoff;
}

/** Refusals by the key of the refused object (a share, `kind/name` of a store). */
export type Refusals<R extends string = string> = Readonly<Record<string, Refusal<R>>>;

export const REFUSAL_RETRY: BackoffPolicy = { initialMs: 30_000, maxMs: 600_000, jitter: 0.2, terminalRetryMs: 600_000 };

/** The refusal to report again instead of writing `body` for `key`; undefined when the write is due. */
export function pendingRefusal<R extends string>(refusals: Refusals<R>, key: string, body: string, now: number): Refusal<R> | undefined {
  const refusal = refusals[key];
  if (!refusal || refusal.body !== body || now >= refusal.backoff.retryAt) return undefined;
  return refusal;
}

/** The refusal after a write of `body` was refused again (or for the first time); a new body starts the back-off over. */
export function nextRefusal<R extends string>(
  previous: Refusal<R> | undefined,
  outcome: { result: R; message: string },
  body: string,
  now: number,
  growth: "doubling" | "fixed",
  random: () => number = Math.random,
): Refusal<R> {
  const earlier = previous?.body === body ? previous.backoff : undefined;
  const backoff = growth === "doubling" ? afterTransient(earlier, now, REFUSAL_RETRY, random) : afterTerminal(earlier, now, body, REFUSAL_RETRY);
  return { result: outcome.result, message: outcome.message, body, backoff };
}
