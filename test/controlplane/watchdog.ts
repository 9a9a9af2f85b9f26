/**
 * Makes sure control-plane processes never outlive the process that started them, even when that process is
 * killed (SIGKILL, a CI timeout, Ctrl-C on the test runner) and never runs its own cleanup.
 *
 * A tiny detached Node process reads "pid <n>" / "dir <path>" / "cmd <json argv>" lines on a pipe from us. When
 * the pipe reaches end-of-file (we exited, however that happened) it terminates the pids still registered (SIGTERM,
 * then SIGKILL after a grace period), runs the registered commands newest first (removing network namespaces and
 * routes of the pod runner) and removes the registered directories. The kernel closes the pipe for a dead process,
 * so no polling of our pid and no pid-reuse race on our side. After a normal stop() nothing is left registered.
 */
import { spawn } from "node:child_process";
import type { Writable } from "node:stream";

const WATCHDOG_SCRIPT = `
"use strict";
const { rmSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
const pids = new Set();
const dirs = new Set();
const cmds = new Set();
let pending = "";
// Detached, so terminal signals do not reach it; ignore them anyway, the pipe decides when we act.
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  const lines = pending.split("\\n");
  pending = lines.pop();
  for (const line of lines) {
    const space = line.indexOf(" ");
    const op = line.slice(0, space);
    const arg = line.slice(space + 1);
    if (op === "pid") pids.add(Number(arg));
    else if (op === "unpid") pids.delete(Number(arg));
    else if (op === "dir") dirs.add(arg);
    else if (op === "undir") dirs.delete(arg);
    else if (op === "cmd") cmds.add(arg);
    else if (op === "uncmd") cmds.delete(arg);
  }
});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const cleanUp = () => {
  for (const pid of pids) { try { process.kill(pid, "SIGTERM"); } catch {} }
  const deadline = Date.now() + 5000;
  const finish = () => {
    const left = [...pids].filter(alive);
    if (left.length > 0 && Date.now() < deadline) { setTimeout(finish, 100); return; }
    for (const pid of left) { try { process.kill(pid, "SIGKILL"); } catch {} }
    for (const cmd of [...cmds].reverse()) {
      const [file, ...args] = JSON.parse(cmd);
      try { spawnSync(file, args, { stdio: "ignore", timeout: 10000 }); } catch {}
    }
    for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  };
  finish();
};
process.stdin.on("end", cleanUp);
process.stdin.on("error", cleanUp);
`;

export interface Watchdog {
  track(pid: number): void;
  untrack(pid: number): void;
  removeOnExit(dir: string): void;
  forget(dir: string): void;
  /** Runs `argv` at cleanup, after the pids are gone (newest first); `unrunOnExit` with the same argv drops it. */
  runOnExit(argv: string[]): void;
  unrunOnExit(argv: string[]): void;
  /** Normal shutdown: whatever is still registered is cleaned up by the watchdog right away. */
  close(): void;
}

export function startWatchdog(): Watchdog {
  const child = spawn(process.execPath, ["-e", WATCHDOG_SCRIPT], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.unref();
  const pipe = child.stdin as Writable & { unref?: () => void };
  // The pipe must not keep our event loop alive; it only has to exist for as long as we do.
  pipe.unref?.();
  pipe.on("error", () => {
    // The watchdog died (someone killed it); cleanup then falls back to stop() and our exit handler.
  });
  let closed = false;
  const send = (line: string): void => {
    if (!closed) pipe.write(`${line}\n`);
  };
  return {
    track: (pid) => {
      send(`pid ${pid}`);
    },
    untrack: (pid) => {
      send(`unpid ${pid}`);
    },
    removeOnExit: (dir) => {
      send(`dir ${dir}`);
    },
    forget: (dir) => {
      send(`undir ${dir}`);
    },
    runOnExit: (argv) => {
      send(`cmd ${JSON.stringify(argv)}`);
    },
    unrunOnExit: (argv) => {
      send(`uncmd ${JSON.stringify(argv)}`);
    },
    close: () => {
      if (closed) return;
      closed = true;
      pipe.end();
    },
  };
}
