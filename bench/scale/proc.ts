/** Resident memory and CPU time of a process from /proc (Linux), and small statistics helpers. */
import { readFile } from "node:fs/promises";

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcSample {
  rssBytes: number;
  cpuSeconds: number;
}

export async function sampleProcess(pid: number): Promise<ProcSample> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, "utf8"), readFile(`/proc/${pid}/stat`, "utf8")]);
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are fields 14, 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { rssBytes: rss ? Number(rss[1]) * 1024 : Number.NaN, cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND };
}

/** Nearest-rank percentile of an unsorted list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const MiB = 1024 * 1024;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run `task(i)` for i in [0, count) with at most `parallelism` in flight. */
export async function forEachParallel(count: number, parallelism: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallelism, count)) }, worker));
}
