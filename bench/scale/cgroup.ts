/**
 * The operator under the shipped Deployment's memory limit: a memory cgroup with `resources.limits.memory` of
 * `deploy/base/deployment.yaml`, entered before Node starts, so Node sizes its heap from it (the image's
 * `--max-old-space-size-percentage`) as it does in the pod, and the kernel kills it where the kubelet would.
 * Without the rights to create one (not root, no writable cgroupfs) the bench runs without and records so.
 */
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { quantityBytes } from "../../src/dittoserver/quantity.ts";

const CGROUP_ROOT = "/sys/fs/cgroup";

/** `resources.limits.memory` of the operator container in a Deployment manifest, in bytes. */
export function deploymentMemoryLimit(manifestYaml: string): number {
  const deployment = parseYaml(manifestYaml) as { spec?: { template?: { spec?: { containers?: { resources?: { limits?: { memory?: string } } }[] } } } };
  const limit = deployment.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory;
  const bytes = limit === undefined ? undefined : quantityBytes(limit);
  if (bytes === undefined) throw new Error(`no readable resources.limits.memory in the Deployment (found ${String(limit)})`);
  return Number(bytes);
}

/**
 * Where a child of this process's memory cgroup goes, from `/proc/self/cgroup` text: cgroup v2 (`0::/path`, one
 * unified tree) or v1 (`N:memory:/path`, the memory controller's own tree).
 */
export function memoryCgroupDir(procSelfCgroup: string, version: 1 | 2): string | undefined {
  for (const line of procSelfCgroup.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (version === 2 && controllers === "") return join(CGROUP_ROOT, path);
    if (version === 1 && controllers.split(",").includes("memory")) return join(CGROUP_ROOT, "memory", path);
  }
  return undefined;
}

export interface MemoryCgroup {
  limitBytes: number;
  /** Write a pid here to move that process in. */
  procsFile: string;
  /** Kills by the cgroup's OOM killer so far. */
  oomKills(): Promise<number>;
  remove(): Promise<void>;
}

/** A child memory cgroup limited to `limitBytes`, or why this machine does not allow one. */
export async function createMemoryCgroup(name: string, limitBytes: number): Promise<MemoryCgroup | string> {
  const self = await readFile("/proc/self/cgroup", "utf8");
  const v2 = await readFile(join(CGROUP_ROOT, "cgroup.controllers"), "utf8").then(() => true, () => false);
  const parent = memoryCgroupDir(self, v2 ? 2 : 1);
  if (!parent) return "no memory cgroup in /proc/self/cgroup";
  const dir = join(parent, name);
  try {
    await mkdir(dir);
    await writeFile(join(dir, v2 ? "memory.max" : "memory.limit_in_bytes"), String(limitBytes));
  } catch (err) {
    await rmdir(dir).catch(() => undefined);
    return `cannot create a memory cgroup under ${parent}: ${(err as Error).message}`;
  }
  return {
    limitBytes,
    procsFile: join(dir, "cgroup.procs"),
    oomKills: async () => {
      const text = await readFile(join(dir, v2 ? "memory.events" : "memory.oom_control"), "utf8").catch(() => "");
      const match = /^oom_kill (\d+)$/m.exec(text);
      return match ? Number(match[1]) : 0;
    },
    remove: () => rmdir(dir).catch(() => undefined),
  };
}
