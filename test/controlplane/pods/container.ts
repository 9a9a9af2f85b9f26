/**
 * Starts one container process the way a container runtime would, with nothing rewritten: in the pod's network
 * namespace, in a private mount namespace whose root is a fresh tmpfs standing for the image filesystem. The image's
 * files (the locally built binaries, see ./images.ts) and the pod's volumes are bind-mounted at their real paths
 * (`/app/dfs`, `/config`, `/data/metadata`, …), the root is made read-only when the container asks for
 * `readOnlyRootFilesystem`, and the process runs as the container's user with the pod's fsGroup.
 *
 * The chain `ip netns exec` → `unshare --mount` → `sh` (mounts) → `chroot` → the entrypoint execs all the way, so
 * the pid we spawn is the container's main process: SIGTERM reaches it directly.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import type { Watchdog } from "../watchdog.ts";

/** A bind mount into the container: a host path at a container path. */
export interface BindMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
  /** A file (an image binary) rather than a directory. */
  file?: boolean;
}

export interface ContainerLaunch {
  /** `ip netns` name of the pod. */
  netns: string;
  /** Empty host directory the private root is mounted on (inside the mount namespace only). */
  rootDir: string;
  mounts: BindMount[];
  /** Directories of the image owned by its user (e.g. its home), made before the volumes are mounted. */
  imageDirs: { path: string; uid: number; gid: number }[];
  readOnlyRoot: boolean;
  uid: number;
  gid: number;
  /** Supplementary groups (the pod's fsGroup). */
  groups: number[];
  /** Entrypoint and arguments exactly as the container spec (or the image) says. */
  argv: string[];
  env: Record<string, string>;
  logPath: string;
}

export interface RunningContainer {
  pid: number;
  startedAt: Date;
  /** Resolves once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; finishedAt: Date }>;
  signal(name: NodeJS.Signals): void;
}

const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** The shell script run inside the new mount namespace: build the root, then exec the entrypoint in it. */
export function mountScript(launch: ContainerLaunch): string {
  const root = quote(launch.rootDir);
  const at = (path: string): string => quote(`${launch.rootDir}${path}`);
  const lines = [
    "set -eu",
    `mount -t tmpfs -o mode=0755 container-root ${root}`,
    `mkdir -p ${at("/proc")} ${at("/dev")}`,
    `mount -t proc proc ${at("/proc")}`,
    `mount --rbind /dev ${at("/dev")}`,
  ];
  for (const d of launch.imageDirs) lines.push(`mkdir -p ${at(d.path)} && chown ${d.uid}:${d.gid} ${at(d.path)}`);
  // Parents before children, so a volume mounted inside another one is not hidden by it.
  for (const m of [...launch.mounts].sort((a, b) => a.containerPath.length - b.containerPath.length)) {
    const target = at(m.containerPath);
    const parent = quote(`${launch.rootDir}${m.containerPath.slice(0, m.containerPath.lastIndexOf("/")) || "/"}`);
    lines.push(m.file ? `mkdir -p ${parent} && touch ${target}` : `mkdir -p ${target}`);
    lines.push(`mount --bind ${quote(m.hostPath)} ${target}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${target}`);
  }
  if (launch.readOnlyRoot) lines.push(`mount -o remount,ro ${root}`);
  const argv = launch.argv.map(quote).join(" ");
  lines.push(`exec chroot --userspec=${launch.uid}:${launch.gid} --groups=${[launch.gid, ...launch.groups].join(",")} ${root} ${argv}`);
  return lines.join("\n");
}

/** The PATH a container gets from a typical image; also what the host tools of the launch chain need. */
export const CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function startContainer(launch: ContainerLaunch, watchdog: Watchdog): RunningContainer {
  mkdirSync(launch.rootDir, { recursive: true });
  const fd = openSync(launch.logPath, "a");
  writeSync(fd, `\n=== ${new Date().toISOString()} ${launch.argv.join(" ")}\n`);
  const child = spawn(
    "ip",
    ["netns", "exec", launch.netns, "unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", mountScript(launch)],
    { env: { PATH: CONTAINER_PATH, ...launch.env }, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  const startedAt = new Date();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; finishedAt: Date }>((resolve) => {
    child.once("error", () => {
      resolve({ code: 127, signal: null, finishedAt: new Date() });
    });
    child.once("exit", (code, signal) => {
      if (child.pid !== undefined) watchdog.untrack(child.pid);
      resolve({ code, signal, finishedAt: new Date() });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${launch.argv.join(" ")}`);
  watchdog.track(child.pid);
  return {
    pid: child.pid,
    startedAt,
    exited,
    signal: (name) => {
      child.kill(name);
    },
  };
}
