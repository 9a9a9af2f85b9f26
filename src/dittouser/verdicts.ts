/** The conditions a DittoUser or DittoGroup pass decides (pure): Synced from its problems, Ready from presence. */
import type { Verdict } from "../serverbound/kind.ts";
import { BOUND_REASON } from "../serverbound/reasons.ts";
import type { Problem } from "./grants.ts";

/**
 * `what` names the object on the server (`user alice`); `exists` is the Ready reason while the server has it and
 * this object manages it. Otherwise Ready carries Synced's reason.
 */
export function verdicts(what: string, exists: string, problems: readonly Problem[], present: boolean): { synced: Verdict; ready: Verdict } {
  const synced: Verdict =
    problems.length === 0
      ? { status: "True", reason: BOUND_REASON.InSync, message: `${what} is as specified` }
      : { status: "False", reason: problems[0]?.reason ?? BOUND_REASON.APIRejected, message: problems.map((p) => p.message).join("; ") };
  const ready: Verdict = present ? { status: "True", reason: exists, message: `${what} exists on the server` } : { ...synced, status: "False" };
  return { synced, ready };
}
