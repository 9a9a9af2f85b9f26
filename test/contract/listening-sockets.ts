/**
 * The ports a process really serves on, read from the kernel: its TCP sockets in LISTEN and its UDP sockets that are
 * bound but not connected, from /proc/<pid>/net/{tcp,tcp6,udp,udp6} (the process's network namespace), kept only
 * when the socket's inode is one of the process's own file descriptors (so a shared namespace, like the contract
 * harness's, does not mix in other processes).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ListeningPort {
  port: number;
  protocol: "TCP" | "UDP";
}

/** Kernel socket states of /proc/net/*: TCP_LISTEN, and TCP_CLOSE for a bound, unconnected UDP socket. */
const TCP_LISTEN = "0A";
const UDP_UNCONNECTED = "07";

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed between readdir and readlink
    }
  }
  return inodes;
}

/** Every port `pid` listens on, each (port, protocol) once, sorted. */
export function listeningPorts(pid: number): ListeningPort[] {
  const inodes = socketInodes(pid);
  const found = new Map<string, ListeningPort>();
  for (const [file, protocol, state] of [["tcp", "TCP", TCP_LISTEN], ["tcp6", "TCP", TCP_LISTEN], ["udp", "UDP", UDP_UNCONNECTED], ["udp6", "UDP", UDP_UNCONNECTED]] as const) {
    const lines = readFileSync(`/proc/${pid}/net/${file}`, "utf8").trim().split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [, local, , st] = fields;
      const inode = fields[9];
      if (st !== state || !inode || !inodes.has(inode)) continue;
      const port = parseInt(local!.split(":")[1]!, 16);
      if (port !== 0) found.set(`${port}/${protocol}`, { port, protocol });
    }
  }
  return [...found.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}
