/** Pure helpers of the demo (hack/demo.ts): argument parsing, condition-change lines, the Ready table row. */

export interface DemoCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface DemoArgs {
  exitWhenReady: boolean;
  keepLogs: boolean;
  timeoutMs: number;
}

export function parseArgs(argv: readonly string[]): DemoArgs {
  const out: DemoArgs = { exitWhenReady: false, keepLogs: false, timeoutMs: 180_000 };
  for (const arg of argv) {
    if (arg === "--exit-when-ready") out.exitWhenReady = true;
    else if (arg === "--keep-logs") out.keepLogs = true;
    else if (arg.startsWith("--timeout=")) {
      const seconds = Number(arg.slice("--timeout=".length));
      if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--timeout takes seconds, not ${arg.slice(10)}`);
      out.timeoutMs = seconds * 1000;
    } else throw new Error(`unknown argument ${arg} (known: --exit-when-ready, --keep-logs, --timeout=<seconds>)`);
  }
  return out;
}

/** One line per condition that is new or changed status/reason: `Ready: False → True (Running) message`. */
export function conditionChanges(before: readonly DemoCondition[], after: readonly DemoCondition[]): string[] {
  const lines: string[] = [];
  for (const c of after) {
    const old = before.find((b) => b.type === c.type);
    if (old && old.status === c.status && old.reason === c.reason) continue;
    const from = old ? `${old.status} → ` : "";
    lines.push(`condition ${c.type}: ${from}${c.status}${c.reason ? ` (${c.reason})` : ""}${c.message ? ` ${c.message}` : ""}`);
  }
  return lines;
}

/** `kubectl get dittoservers <name> --no-headers` output: columns NAME READY STATUS …; Ready is `1/1 Running`. */
export function isReadyRow(row: string): boolean {
  const cols = row.trim().split(/\s+/);
  return cols[1] === "1/1" && cols[2] === "Running";
}
