/**
 * Free TCP ports for one control plane. A port that is merely free now can be taken by a parallel run before our
 * component binds it, so every handed-out port is also recorded as a lock file (holding our pid) in a directory
 * shared by all runs on the machine; other runs skip locked ports until the lease is released or its owner is dead.
 */
import { createServer } from "node:net";
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Below Linux's default ephemeral range (32768-60999), so outgoing connections never get one of these ports.
const FIRST_PORT = 20000;
const LAST_PORT = 32000;
const MAX_ATTEMPTS = 500;

export interface PortLease {
  ports: number[];
  /** Deletes the lock files; the ports become available to other runs. */
  release(): void;
}

/** A directory of lock files shared by all runs on this machine (ports here; pod CIDRs in ./pods/network.ts). */
export function lockDir(name = "dittofs-operator-ports"): string {
  const dir = join(tmpdir(), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates the lock file unless another live process holds it; stale locks of dead processes are taken over. */
export function tryLock(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  let owner = Number.NaN;
  try {
    owner = Number(readFileSync(path, "utf8"));
  } catch {
    return false; // released or being rewritten right now: just try another port
  }
  if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return false;
  try {
    unlinkSync(path);
  } catch {
    return false;
  }
  return tryLock(path);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(false);
    });
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

export async function allocatePorts(count: number): Promise<PortLease> {
  const dir = lockDir();
  const ports: number[] = [];
  const release = (): void => {
    for (const port of ports.splice(0)) {
      try {
        unlinkSync(join(dir, String(port)));
      } catch {
        // already gone
      }
    }
  };
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt >= MAX_ATTEMPTS) {
      release();
      throw new Error(`could not find ${count} free TCP ports in ${FIRST_PORT}-${LAST_PORT} after ${MAX_ATTEMPTS} tries`);
    }
    const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT + 1));
    if (ports.includes(port)) continue;
    const lockPath = join(dir, String(port));
    if (!tryLock(lockPath)) continue;
    if (await canBind(port)) {
      ports.push(port);
    } else {
      unlinkSync(lockPath);
    }
  }
  return { ports, release };
}
