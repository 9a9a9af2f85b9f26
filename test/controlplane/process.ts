/** Child processes of the control plane: one log file each, graceful stop, and no survivors when we exit. */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import type { Watchdog } from "./watchdog.ts";

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  logPath: string;
}

export interface ManagedProcess {
  name: string;
  logPath: string;
  pid: number | undefined;
  /** Undefined while running; otherwise how it ended ("exit code 1", "signal SIGKILL", "spawn error: …"). */
  exitReason(): string | undefined;
  /** SIGTERM, wait up to graceMs, then SIGKILL; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a crash: no graceful shutdown); resolves once the process is gone. */
  kill(): Promise<void>;
}

// Children still running, killed synchronously if this process exits without stopping them (process.exit(),
// an uncaught exception). Being killed by a signal is the watchdog's job: no exit handler runs then.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

export function startProcess(spec: ProcessSpec, watchdog: Watchdog): ManagedProcess {
  installExitHook();
  const fd = openSync(spec.logPath, "a");
  writeSync(fd, `\n=== ${new Date().toISOString()} ${spec.command} ${spec.args.join(" ")}\n`);
  const child = spawn(spec.command, spec.args, { stdio: ["ignore", fd, fd] });
  closeSync(fd); // the child has its own copy
  let reason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (err) => {
      reason ??= `spawn error: ${err.message}`;
      running.delete(child);
      resolve();
    });
    child.once("exit", (code, signal) => {
      reason ??= signal ? `signal ${signal}` : `exit code ${code ?? "?"}`;
      running.delete(child);
      if (child.pid !== undefined) watchdog.untrack(child.pid);
      resolve();
    });
  });
  if (child.pid !== undefined) {
    running.add(child);
    watchdog.track(child.pid);
  }
  return {
    name: spec.name,
    logPath: spec.logPath,
    pid: child.pid,
    exitReason: () => reason,
    stop: async (graceMs = 10_000) => {
      if (reason !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      if (reason !== undefined) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export function logTail(path: string, lines = 30): string {
  try {
    const all = readFileSync(path, "utf8").trimEnd().split("\n");
    return all.slice(-lines).join("\n");
  } catch (err) {
    return `(cannot read log: ${(err as Error).message})`;
  }
}

/** The error for a component that did not come up: names its log file and shows the end of it. */
export function startFailure(proc: ManagedProcess, problem: string): Error {
  return new Error(
    `${proc.name} failed to start: ${problem}\n--- last lines of ${proc.logPath} ---\n${logTail(proc.logPath)}\n---`,
  );
}
