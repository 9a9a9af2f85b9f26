/** Helpers shared by the runtime integration tests. */
import { waitFor } from "../../controlplane/testenv.ts";
import type { WaitOptions } from "../../controlplane/testenv.ts";

/** Poll a synchronous condition (a truthy value ends the wait). */
export function until<T>(what: string, cond: () => T | undefined | false | null, opts?: WaitOptions): Promise<T> {
  return waitFor(what, () => Promise.resolve(cond() || undefined) as Promise<T | undefined>, opts);
}
