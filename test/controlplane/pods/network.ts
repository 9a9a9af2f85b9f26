/**
 * Pod networking for the pod runner: a pod CIDR of our own, guarded so nothing can leave the machine, and one
 * network namespace per pod at the IP kwok assigned.
 *
 * - Every control plane with a runner leases a /16 of its own (a lock file per slot, like the port leases), one
 *   that no route of this machine overlaps, so parallel runs never share an address or a route.
 * - Before any namespace exists, `unreachable <cidr>` goes into the main table: a pod IP without its veth (not yet
 *   made, already removed, or a typo) is answered "unreachable" locally instead of following the default route.
 * - A pod gets `ip netns` + a veth pair: `eth0` inside with the pod IP/32 and one route, to the node IP; the host
 *   end carries the node IP/32 and a /32 route to the pod IP. No default route inside: the pod can answer the host
 *   and reach nothing else.
 * - Every namespace and the guard route are registered with the watchdog, which removes them if we die.
 */
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../run.ts";
import { lockDir, tryLock } from "../ports.ts";
import type { Watchdog } from "../watchdog.ts";

/** The host end of every veth, and kwok's `--node-ip` (the pods' hostIP). */
export const NODE_IP = "10.240.0.1";
/** Slot n leases 10.(FIRST_OCTET + n).0.0/16. */
export const FIRST_OCTET = 128;
const SLOTS = 64;

async function ip(args: string[]): Promise<string> {
  const r = await runCommand("ip", args);
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function ipv4ToInt(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Whether two IPv4 prefixes ("a.b.c.d/len" or a bare address) share any address. */
export function prefixesOverlap(a: string, b: string): boolean {
  const parse = (cidr: string): [number, number] => {
    const [address, len] = cidr.split("/");
    return [ipv4ToInt(address!), len === undefined ? 32 : Number(len)];
  };
  const [na, la] = parse(a);
  const [nb, lb] = parse(b);
  const len = Math.min(la, lb);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return ((na & mask) >>> 0) === ((nb & mask) >>> 0);
}

/** IPv4 destinations and addresses this machine already routes or owns (every table), "default" excluded. */
async function usedPrefixes(): Promise<string[]> {
  const routes = JSON.parse(await ip(["-j", "-4", "route", "show", "table", "all"])) as { dst?: string }[];
  const addrs = JSON.parse(await ip(["-j", "-4", "addr", "show"])) as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  const out = routes.map((r) => r.dst ?? "default").filter((d) => d !== "default" && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(d));
  for (const link of addrs) for (const a of link.addr_info ?? []) if (a.local) out.push(`${a.local}/${a.prefixlen ?? 32}`);
  return out;
}

export interface PodNetwork {
  /** The leased pod CIDR, for kwok's `--cidr`. */
  cidr: string;
  /** Installs the unreachable guard route; must run before the first pod namespace. */
  guard(): Promise<void>;
  /** Creates the namespace of one pod; returns its name (for `ip netns exec`). */
  addPod(podIP: string): Promise<string>;
  removePod(name: string): Promise<void>;
  /** Removes every pod namespace, the guard route and the lease. */
  close(): Promise<void>;
}

/** Leases a free pod CIDR. Root only: everything after this changes the machine's routing. */
export async function leasePodNetwork(watchdog: Watchdog): Promise<PodNetwork> {
  if (process.getuid?.() !== 0) throw new Error("the pod runner needs root (ip netns, veth pairs, routes)");
  const used = await usedPrefixes();
  const dir = lockDir("dittofs-operator-pod-cidrs");
  let slot = -1;
  for (let candidate = 0; candidate < SLOTS && slot < 0; candidate++) {
    const cidr = `10.${FIRST_OCTET + candidate}.0.0/16`;
    if (used.some((u) => prefixesOverlap(u, cidr))) continue;
    if (tryLock(join(dir, String(candidate)))) slot = candidate;
  }
  if (slot < 0) throw new Error(`no free pod CIDR among 10.${FIRST_OCTET}-${FIRST_OCTET + SLOTS - 1}.0.0/16`);
  const cidr = `10.${FIRST_OCTET + slot}.0.0/16`;
  const guardRoute = ["route", "del", "unreachable", cidr];
  /** Namespace name → host end of its veth. */
  const pods = new Map<string, string>();
  let guarded = false;
  let counter = 0;

  const removePod = async (name: string): Promise<void> => {
    const hostEnd = pods.get(name);
    if (hostEnd === undefined) return;
    pods.delete(name);
    // Deleting the host end removes the pair and the route through it at once; a namespace only goes away once
    // its last process has, and the kernel tears it down later still.
    await ip(["link", "delete", hostEnd]).catch(() => undefined);
    await ip(["netns", "delete", name]);
    watchdog.unrunOnExit(["ip", "netns", "delete", name]);
    watchdog.unrunOnExit(["ip", "link", "delete", hostEnd]);
  };

  return {
    cidr,
    guard: async () => {
      if (guarded) return;
      watchdog.runOnExit(["ip", ...guardRoute]);
      await ip(["route", "add", "unreachable", cidr]);
      guarded = true;
    },
    addPod: async (podIP) => {
      if (!guarded) throw new Error("pod network: guard() must run before the first pod namespace");
      if (!prefixesOverlap(podIP, cidr)) throw new Error(`pod IP ${podIP} is outside the leased pod CIDR ${cidr}`);
      counter += 1;
      // Names are per slot, so parallel runs never collide; veth names must stay within 15 characters.
      const name = `dfo${slot}-${counter}`;
      const hostEnd = `dfo${slot}h${counter}`;
      // Registered before they exist; cleanup runs newest first: the veth, then the namespace.
      watchdog.runOnExit(["ip", "netns", "delete", name]);
      watchdog.runOnExit(["ip", "link", "delete", hostEnd]);
      pods.set(name, hostEnd);
      await ip(["netns", "add", name]);
      await ip(["link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", name]);
      await ip(["-n", name, "link", "set", "lo", "up"]);
      await ip(["-n", name, "addr", "add", `${podIP}/32`, "dev", "eth0"]);
      await ip(["-n", name, "link", "set", "eth0", "up"]);
      await ip(["-n", name, "route", "add", `${NODE_IP}/32`, "dev", "eth0", "scope", "link"]);
      await ip(["addr", "add", `${NODE_IP}/32`, "dev", hostEnd]);
      await ip(["link", "set", hostEnd, "up"]);
      await ip(["route", "add", `${podIP}/32`, "dev", hostEnd, "src", NODE_IP]);
      return name;
    },
    removePod,
    close: async () => {
      for (const name of [...pods.keys()]) await removePod(name).catch(() => undefined);
      if (guarded) {
        await ip(guardRoute);
        watchdog.unrunOnExit(["ip", ...guardRoute]);
        guarded = false;
      }
      try {
        unlinkSync(join(dir, String(slot)));
      } catch {
        // already gone
      }
    },
  };
}
