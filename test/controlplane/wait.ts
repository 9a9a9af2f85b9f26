/** Polling with a deadline; the error on timeout says what was awaited and what was last seen. */
import { setTimeout as sleep } from "node:timers/promises";
import { inspect } from "node:util";

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

function describe(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: 120, maxStringLength: 2000 });
}

/**
 * Calls `fn` until it resolves to something other than undefined and returns that. A throwing `fn` counts as
 * "not yet" (the error is remembered for the timeout message).
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const value = await fn();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const last = lastError === undefined ? "last result: undefined" : `last error: ${describe(lastError)}`;
  throw new Error(`timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}; ${last}`);
}
