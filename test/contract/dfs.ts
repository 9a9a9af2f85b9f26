/**
 * Runs the real `dfs` binary: one-shot commands (`config validate`, `config schema`) and the long-running server
 * from a prepared launch (./pod.ts). Each server run gets its own log file; a watchdog kills it if the test
 * process dies, and `stop()` behaves like the kubelet after the preStop hook: SIGTERM, then SIGKILL once the
 * remaining grace period is spent.
 */
import { execFile, spawn } from "node:child_process";
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildBinaries } from "../controlplane/binaries.ts";
import { startWatchdog } from "../controlplane/watchdog.ts";
import type { Watchdog } from "../controlplane/watchdog.ts";
import { request } from "./http.ts";
import type { TlsOptions } from "./http.ts";
import type { Launch } from "./pod.ts";

let binDir: Promise<string> | undefined;

/** Directory holding `dfs` and `dfsctl`: DITTOFS_TEST_ASSETS, or whatever hack/build-binaries.sh built. */
export function dfsBinDir(): Promise<string> {
  binDir ??= (async () => {
    const dir = process.env.DITTOFS_TEST_ASSETS || (await buildBinaries(true));
    accessSync(join(dir, "dfs"), constants.X_OK);
    return dir;
  })();
  return binDir;
}

export async function dfsBinary(): Promise<string> {
  return join(await dfsBinDir(), "dfs");
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a dfs subcommand to completion with exactly `env` (plus PATH/HOME), never the caller's DITTOFS_* vars. */
export function runDfs(binary: string, args: string[], env: Record<string, string>, home: string): Promise<CommandResult> {
  mkdirSync(home, { recursive: true });
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env: baseEnv(env, home), timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") {
        reject(new Error(`dfs ${args.join(" ")}: ${err.message}`));
        return;
      }
      resolve({ code: typeof err?.code === "number" ? err.code : 0, stdout, stderr });
    });
  });
}

function baseEnv(env: Record<string, string>, home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...env };
}

export interface ValidateReport {
  code: number;
  /** stdout and stderr together, for messages. */
  output: string;
  ok: boolean;
  warnings: string[];
  /** Keys dfs ignored (its `WARNING: config contains unknown keys` line), empty when none. */
  unknownKeys: string[];
  /** The effective settings from the summary, after env overrides. */
  databaseType?: string;
  apiHost?: string;
  apiTls?: string;
}

/** `dfs config validate` on a config file with exactly the given env, parsed. */
export async function validateConfig(binary: string, configPath: string, env: Record<string, string>, home: string): Promise<ValidateReport> {
  const result = await runDfs(binary, ["config", "validate", "--config", configPath], env, home);
  const output = `${result.stdout}\n${result.stderr}`;
  const summary = (label: string): string | undefined => new RegExp(`^\\s*${label}:\\s*(\\S+)`, "m").exec(result.stdout)?.[1];
  const unknown = /unknown keys \(ignored\):\s*(.*)$/im.exec(output)?.[1];
  const warningBlock = /^Warnings:\n((?:\s+- .*\n?)*)/m.exec(result.stdout)?.[1] ?? "";
  return {
    code: result.code,
    output,
    ok: result.code === 0 && /^Validation: OK/m.test(result.stdout),
    warnings: warningBlock.split("\n").map((l) => l.replace(/^\s+- /, "").trim()).filter((l) => l !== ""),
    unknownKeys: unknown ? unknown.split(",").map((k) => k.trim()).filter((k) => k !== "") : [],
    databaseType: summary("Database type"),
    apiHost: summary("API host"),
    apiTls: summary("API TLS"),
  };
}

let watchdog: Watchdog | undefined;

export interface StopResult {
  /** Milliseconds from SIGTERM to exit. */
  drainMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we had to SIGKILL because the grace budget ran out. */
  killed: boolean;
}

export interface DfsServer {
  pid: number;
  logPath: string;
  /** Undefined while running. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM, wait up to `budgetSeconds`, then SIGKILL. */
  stop(budgetSeconds: number): Promise<StopResult>;
  /** SIGKILL right away (test failure cleanup); no-op once exited. */
  kill(): Promise<void>;
  log(): string;
}

export function startDfs(launch: Launch, runDir: string, logName = "dfs.log"): DfsServer {
  watchdog ??= startWatchdog();
  const logPath = join(runDir, logName);
  const fd = openSync(logPath, "a");
  // HOME and the working directory stand for the image's /app, read-only in the pod: tests check it stays empty.
  const home = join(runDir, "home");
  mkdirSync(home, { recursive: true });
  const child = spawn(launch.command, launch.args, { cwd: home, env: baseEnv(launch.env, home), stdio: ["ignore", fd, fd] });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${launch.command}`);
  const pid = child.pid;
  watchdog.track(pid);
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      status = { code, signal };
      watchdog?.untrack(pid);
      resolve();
    });
  });
  return {
    pid,
    logPath,
    exited: () => status,
    log: () => readFileSync(logPath, "utf8"),
    stop: async (budgetSeconds) => {
      if (status) throw new Error(`dfs already exited (${JSON.stringify(status)}) before SIGTERM`);
      const begin = performance.now();
      let killed = false;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, budgetSeconds * 1000);
      await exit;
      clearTimeout(timer);
      return { drainMs: performance.now() - begin, code: status!.code, signal: status!.signal, killed };
    },
    kill: async () => {
      if (status) return;
      child.kill("SIGKILL");
      await exit;
    },
  };
}

/** Last lines of a log, for error messages. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Polls `url` until it answers 200, failing early (with the log) if the server exits. Polling here only waits
 * for start-up; what the probes see is asserted by the tests afterwards.
 */
export async function waitForHttp200(server: DfsServer, url: string, tls: TlsOptions, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const status = server.exited();
    if (status) throw new Error(`dfs exited during start-up (${JSON.stringify(status)}); log:\n${tail(server.log())}`);
    try {
      const response = await request(url, { tls, timeoutMs: 2000 });
      if (response.status === 200) return;
      last = `HTTP ${response.status}: ${response.body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`dfs did not answer 200 on ${url} within ${timeoutMs} ms (last: ${last}); log:\n${tail(server.log())}`);
}
