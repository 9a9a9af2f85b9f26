/** The printed table, the pass/fail lines against the issue's targets, and the plot: pure over scenario results. */
import type { ScenarioResult } from "./scenario.ts";
import { renderCharts } from "./svg.ts";

/** Peak RSS targets (issue 15): 80 MiB up to N=100, 120 MiB at N=1000 (issue 8 asked 200 MiB there). */
function rssTarget(n: number): { mib: number; statedFor: number } {
  return n <= 100 ? { mib: 80, statedFor: 100 } : { mib: 120, statedFor: 1000 };
}
const TARGET_FLOOR_RATIO = 1.5;
/** A DittoShare whose server's API never answers: its finalizer and one status saying why (issue 16). */
const SHARE_WRITE_TARGET = 2;

function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(digits);
}

export function markdownTable(results: readonly ScenarioResult[]): string {
  const head = "| N | workers | create s | children s | Ready s | floor s (writes) | writes/DS to steady (+events) | idle window s | idle writes (+events) | idle reconciles | edit p50 / p99 ms | RSS MiB ready / peak (heap used at ready) | CPU s to Ready / idle |";
  const rows = results.map((r) => [
    r.n,
    r.concurrency,
    fmt(r.createSeconds),
    fmt(r.childrenSeconds),
    r.readySeconds === null ? `not all (${r.readyCount}/${r.n})` : fmt(r.readySeconds),
    r.floor ? `${fmt(r.floor.seconds)} (${r.floor.writes})` : "—",
    // DittoShare writes have their own target line: this column stays comparable with runs without shares.
    `${fmt((r.toSteady.writes - (r.shareWrites?.toSteady ?? 0)) / r.n, 2)} (+${fmt(r.toSteady.events / r.n, 2)})`,
    r.idle.seconds,
    `${r.idle.writes} (+${r.idle.events})`,
    Number.isFinite(r.idle.reconciles) ? r.idle.reconciles : "—",
    r.editLatencyMs ? `${fmt(r.editLatencyMs.p50, 0)} / ${fmt(r.editLatencyMs.p99, 0)} (${r.editLatencyMs.samples})` : "—",
    `${fmt(r.rssMiB.atReady)} / ${fmt(r.rssMiB.peak)}${r.heapUsedMiB ? ` (${fmt(r.heapUsedMiB.atReady)})` : ""}`,
    `${fmt(r.cpuSeconds.toReady)} / ${fmt(r.cpuSeconds.idle)}`,
  ].join(" | "));
  return [head, `|${"---|".repeat(13)}`, ...rows.map((r) => `| ${r} |`)].join("\n");
}

/** Pass/fail against the issue's targets, one line each, from the figures above. */
export function targetLines(results: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const label = [`N=${r.n} workers=${r.concurrency}`, r.sharesPerServer ? `shares/server=${r.sharesPerServer}` : "", r.finalizerPolicy ? "finalizer-policy" : "", r.nodeFlags?.length ? `[node ${r.nodeFlags.join(" ")}]` : "", ...(r.operatorArgs ?? [])].filter(Boolean).join(" ");
    const limit = r.ownedPerServer + 2;
    const shareWrites = r.shareWrites?.toSteady ?? 0;
    const perServer = (r.toSteady.writes - shareWrites) / r.n;
    lines.push(`${perServer <= limit ? "PASS" : "FAIL"} ${label}: ${perServer.toFixed(2)} writes per DittoServer to steady state (target ≤ ${r.ownedPerServer} children + 2 = ${limit}; ${r.childrenPerServer} applied children + ${r.ownedPerServer - r.childrenPerServer} generated Secrets; events not counted: ${(r.toSteady.events / r.n).toFixed(2)})`);
    const shares = r.n * (r.sharesPerServer ?? 0);
    if (shares > 0) {
      const perShare = shareWrites / shares;
      lines.push(`${r.sharesSettledSeconds !== null && r.sharesSettledSeconds !== undefined ? "PASS" : "FAIL"} ${label}: ${shares} DittoShares settled (status for their generation with Synced) in ${fmt(r.sharesSettledSeconds)} s`);
      lines.push(`${perShare <= SHARE_WRITE_TARGET ? "PASS" : "FAIL"} ${label}: ${perShare.toFixed(2)} writes per DittoShare to steady state (target ≤ ${SHARE_WRITE_TARGET}: finalizer + one status)`);
      lines.push(`${r.idle.seconds > 0 ? "INFO" : "FAIL"} ${label}: idle CPU ${fmt(r.cpuSeconds.idle, 2)} s over ${r.idle.seconds} s = ${fmt((r.cpuSeconds.idle / r.idle.seconds) * 60, 2)} CPU s per idle minute with ${shares} DittoShares`);
    }
    lines.push(`${r.idle.writes === 0 ? "PASS" : "FAIL"} ${label}: ${r.idle.writes} writes (+${r.idle.events} events) in a ${r.idle.seconds} s idle window (target 0)`);
    if (r.floor && r.childrenSeconds !== null) {
      const ratio = r.childrenSeconds / r.floor.seconds;
      lines.push(`${ratio <= TARGET_FLOOR_RATIO ? "PASS" : "FAIL"} ${label}: children applied in ${r.childrenSeconds.toFixed(1)} s = ${ratio.toFixed(2)}× the raw-write floor ${r.floor.seconds.toFixed(1)} s (target ≤ ${TARGET_FLOOR_RATIO}×${r.n === 1000 ? "" : "; the target is stated for N=1000"})`);
    }
    const rss = rssTarget(r.n);
    lines.push(`${r.rssMiB.peak <= rss.mib ? "PASS" : "FAIL"} ${label}: peak RSS ${r.rssMiB.peak.toFixed(1)} MiB (target ≤ ${rss.mib} MiB${r.n === rss.statedFor ? "" : `; stated for N=${rss.statedFor}`})`);
    if (r.operatorExited) lines.push(`FAIL ${label}: the operator exited during the scenario`);
  }
  return lines;
}

/** Convergence and RSS against N, one line per worker count. */
export function plot(results: readonly ScenarioResult[]): string {
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
  const byWorkers = new Map<number, ScenarioResult[]>();
  for (const r of results) byWorkers.set(r.concurrency, [...(byWorkers.get(r.concurrency) ?? []), r].sort((a, b) => a.n - b.n));
  const groups = [...byWorkers.entries()].filter(([, rs]) => rs.length > 1);
  const main = groups.length ? groups : [...byWorkers.entries()];
  // The floors of the plotted worker counts only: another count's floor has another parallelism.
  const plotted = new Set(main.map(([c]) => c));
  const floors = results.filter((r) => r.floor && plotted.has(r.concurrency)).sort((a, b) => a.n - b.n);
  return renderCharts([
    {
      title: "Convergence time",
      xLabel: "DittoServers created at once (N, log scale)",
      yLabel: "seconds",
      series: [
        ...main.flatMap(([c, rs], i) => [
          { name: `all Ready, ${c} worker(s)`, color: colors[i % colors.length]!, points: rs.map((r): [number, number] => [r.n, r.readySeconds ?? Number.NaN]) },
          { name: `children applied, ${c} w.`, color: colors[(i + 2) % colors.length]!, points: rs.map((r): [number, number] => [r.n, r.childrenSeconds ?? Number.NaN]) },
        ]),
        { name: "raw-write floor", color: "#7f7f7f", points: floors.map((r): [number, number] => [r.n, r.floor!.seconds]) },
      ],
    },
    {
      title: "Operator memory",
      xLabel: "DittoServers (N, log scale)",
      yLabel: "RSS MiB",
      series: main.flatMap(([c, rs], i) => [
        { name: `peak RSS, ${c} worker(s)`, color: colors[i % colors.length]!, points: rs.map((r): [number, number] => [r.n, r.rssMiB.peak]) },
      ]),
    },
  ]);
}

/**
 * How many status versions the servers went through (the first is "no status"), and the paths of those that took
 * more than most: where extra status writes come from.
 */
export function statusPathSummary(paths: ReadonlyMap<string, readonly string[]>, shown = 3): string[] {
  const byLength = new Map<number, number>();
  for (const path of paths.values()) byLength.set(path.length, (byLength.get(path.length) ?? 0) + 1);
  const histogram = [...byLength].sort(([a], [b]) => a - b);
  const common = [...byLength].sort(([, a], [, b]) => b - a)[0]?.[0] ?? 0;
  const lines = [`status versions per DittoServer: ${histogram.map(([len, count]) => `${len} ×${count}`).join(", ")}`];
  const longer = new Map<string, number>();
  for (const path of paths.values()) {
    if (path.length <= common) continue;
    const text = path.join("\n      → ");
    longer.set(text, (longer.get(text) ?? 0) + 1);
  }
  for (const [text, count] of [...longer].sort(([, a], [, b]) => b - a).slice(0, shown)) lines.push(`  ${count} server(s):\n        ${text}`);
  return lines;
}
