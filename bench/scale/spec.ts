/** The bench's command-line vocabulary: scenario specs `N[xWORKERS][@IDLE_SECONDS]` and the node count they need. Pure. */

export function int(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not ${String(text)}`);
  return n;
}

export interface ScenarioSpec {
  n: number;
  workers: number;
  idleSeconds: number;
  /** DittoShares per DittoServer (0: none). */
  sharesPerServer: number;
}

/** `N[xWORKERS][@IDLE_SECONDS][/SHARES_PER_SERVER]`, comma-separated. */
export function parseScenarios(text: string, idleSeconds: number): ScenarioSpec[] {
  return text.split(",").map((part) => {
    const m = /^(\d+)(?:x(\d+))?(?:@(\d+))?(?:\/(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`scenario ${JSON.stringify(part)} is not N[xWORKERS][@IDLE_SECONDS][/SHARES] (e.g. 100x4@600/10)`);
    return {
      n: int("scenarios", m[1]),
      workers: m[2] ? int("scenarios", m[2]) : 1,
      idleSeconds: m[3] ? int("scenarios", m[3]) : idleSeconds,
      sharesPerServer: m[4] ? int("scenarios", m[4]) : 0,
    };
  });
}

/** kubelet's default max pods, which kwok Nodes advertise. */
export const PODS_PER_NODE = 110;

/** Every scenario's pods (operator and floor StatefulSets, one replica each) must fit, or Ready never comes. */
export function nodesFor(specs: ScenarioSpec[], floor: boolean): number {
  const pods = specs.reduce((sum, s) => sum + s.n * (floor ? 2 : 1), 0);
  return Math.max(3, Math.ceil((pods * 1.1) / PODS_PER_NODE));
}
