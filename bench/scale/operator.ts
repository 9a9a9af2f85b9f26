/**
 * The operator binary (`dist/main.js`) as a child process under its own identity, with its probe and metrics
 * servers on free loopback ports: readiness, reconcile counts from /metrics, RSS/CPU from /proc.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { sampleProcess, sleep } from "./proc.ts";
import type { ProcSample } from "./proc.ts";

/**
 * The compiled binary, as the image runs it (`npm run build`; the bench builds it first). Running `src/main.ts`
 * through Node's type stripping would add its TypeScript parser (~18 MiB of RSS) to every memory figure.
 */
export const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));
const DOCKERFILE = fileURLToPath(new URL("../../Dockerfile", import.meta.url));

/** The Node flags of the image's `ENTRYPOINT ["node", …flags, "dist/main.js"]`: the bench runs the binary with them. */
export function entrypointNodeFlags(dockerfile: string): string[] {
  const line = dockerfile.split("\n").find((l) => l.startsWith("ENTRYPOINT "));
  if (!line) throw new Error("the Dockerfile has no ENTRYPOINT");
  const argv = JSON.parse(line.slice("ENTRYPOINT ".length)) as unknown;
  if (!Array.isArray(argv) || argv[0] !== "node" || argv.at(-1) !== "dist/main.js" || !argv.every((a) => typeof a === "string")) {
    throw new Error(`expected ENTRYPOINT ["node", …flags, "dist/main.js"], found ${line}`);
  }
  return argv.slice(1, -1);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => { resolve(port); });
    });
  });
}

/** Sum of a metric's samples over every label set, from the operator's /metrics. */
async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

export interface OperatorProcess {
  pid: number;
  /** Node flags it runs with (the image's). */
  nodeFlags: string[];
  sample(): Promise<ProcSample>;
  /** Sum of controller_runtime_reconcile_total over every label set. */
  reconciles(): Promise<number>;
  /** V8 heap in use (prom-client's nodejs_heap_size_used_bytes): the live data behind the RSS. */
  heapUsedBytes(): Promise<number>;
  /** Peak RSS seen by the background sampler (every second). */
  peakRssBytes(): number;
  exited(): boolean;
  stop(): Promise<void>;
  /** kill -9: no graceful shutdown, the lease is not released. */
  kill(): Promise<void>;
}

/** `env` is added to the bench's environment (e.g. POD_NAME, the leader-election identity). */
export async function startOperator(opts: { kubeconfigPath: string; namespace: string; concurrency: number; logPath: string; extraArgs?: string[]; nodeFlags?: string[] | undefined; cgroupProcsFile?: string; env?: Record<string, string> }): Promise<OperatorProcess> {
  const [probePort, metricsPort] = [await freePort(), await freePort()];
  const nodeFlags = opts.nodeFlags ?? entrypointNodeFlags(await readFile(DOCKERFILE, "utf8"));
  const args = [
    ...nodeFlags,
    MAIN,
    `--kubeconfig=${opts.kubeconfigPath}`,
    `--namespace=${opts.namespace}`,
    `--concurrency=${opts.concurrency}`,
    `--health-probe-bind-address=127.0.0.1:${probePort}`,
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    "--metrics-secure=false",
    "--log-level=warn",
    ...(opts.extraArgs ?? []),
  ];
  const log = createWriteStream(opts.logPath);
  // process.execPath: the bench itself runs on the project's Node 24 (through npm/npx). NODE_OPTIONS of the
  // caller stays out: the image's flags are the ones measured.
  const { NODE_OPTIONS: _callers, ...inherited } = process.env;
  const env = { ...inherited, ...opts.env };
  // In a cgroup: a shell enters it and execs Node (same pid), so Node starts under the limit and sizes its heap by it.
  const child: ChildProcess = opts.cgroupProcsFile
    ? spawn("/bin/sh", ["-c", 'echo $$ > "$0" && exec "$@"', opts.cgroupProcsFile, process.execPath, ...args], { stdio: ["ignore", "pipe", "pipe"], env })
    : spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once("exit", (code) => { exitCode = code; resolve(); }));
  const pid = child.pid ?? 0;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`operator exited with ${String(exitCode)} before it was ready (log: ${opts.logPath})`);
    const ok = await fetch(`http://127.0.0.1:${probePort}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`operator not ready within 60 s (log: ${opts.logPath})`);
    await sleep(200);
  }

  let peak = 0;
  const sampler = setInterval(() => {
    sampleProcess(pid).then((s) => { peak = Math.max(peak, s.rssBytes); }, () => undefined);
  }, 1000);

  return {
    pid,
    nodeFlags,
    sample: async () => {
      const s = await sampleProcess(pid);
      peak = Math.max(peak, s.rssBytes);
      return s;
    },
    reconciles: () => metricSum(metricsPort, "controller_runtime_reconcile_total"),
    heapUsedBytes: () => metricSum(metricsPort, "nodejs_heap_size_used_bytes"),
    peakRssBytes: () => peak,
    exited: () => exitCode !== undefined,
    stop: async () => {
      clearInterval(sampler);
      if (exitCode === undefined) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(35_000)]);
        if (exitCode === undefined) child.kill("SIGKILL");
      }
      await exited;
      log.end();
    },
    kill: async () => {
      clearInterval(sampler);
      if (exitCode === undefined) child.kill("SIGKILL");
      await exited;
      log.end();
    },
  };
}
