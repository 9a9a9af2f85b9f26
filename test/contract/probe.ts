/**
 * Executes a rendered probe or Service port against the running dfs the way the kubelet / kube-proxy would:
 * named ports are resolved through the container's ports, then mapped to where the harness moved the listener;
 * the pod is reached on a non-loopback address of this machine (like a pod IP), so a server bound to loopback
 * fails exactly as it would in a cluster.
 */
import { networkInterfaces } from "node:os";
import { request, tcpConnect } from "./http.ts";
import type { HttpResponse, TlsOptions } from "./http.ts";
import { resolvePort } from "./pod.ts";
import type { Container, Launch, ProbeSpec } from "./pod.ts";

/** A non-internal IPv4 address of this machine: the stand-in for the pod IP (loopback if there is none). */
export function podAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** Container port → host port; a port the server was never told to listen on is a contract failure. */
export function hostPort(container: Container, launch: Launch, port: number | string): number {
  const containerPort = resolvePort(container, port);
  const mapped = launch.ports.get(containerPort);
  if (mapped === undefined) {
    throw new Error(
      `port ${String(port)} (container port ${containerPort}) is not a port the rendered config makes the server listen on ` +
        `(listeners: ${[...launch.ports.keys()].join(", ") || "none"})`,
    );
  }
  return mapped;
}

export type ProbeOutcome = { kind: "http"; scheme: string; path: string; response: HttpResponse } | { kind: "tcp" };

/** Runs one probe once. HTTP(S) like the kubelet: no certificate verification, no client certificate. */
export async function runProbe(container: Container, launch: Launch, probe: ProbeSpec): Promise<ProbeOutcome> {
  const address = podAddress();
  if (probe.httpGet) {
    const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase();
    const port = hostPort(container, launch, probe.httpGet.port);
    const path = probe.httpGet.path ?? "/";
    const tls: TlsOptions = { insecure: true };
    const response = await request(`${scheme}://${address}:${port}${path}`, { tls, timeoutMs: (probe.timeoutSeconds ?? 1) * 1000 });
    return { kind: "http", scheme: scheme.toUpperCase(), path, response };
  }
  if (probe.tcpSocket) {
    await tcpConnect(address, hostPort(container, launch, probe.tcpSocket.port), (probe.timeoutSeconds ?? 1) * 1000);
    return { kind: "tcp" };
  }
  throw new Error(`unsupported probe handler: ${JSON.stringify(probe)}`);
}

/** Seconds of the preStop hook: a native `sleep` action or `sh -c "sleep N"`. */
export function preStopSeconds(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (!preStop) return 0;
  if (preStop.sleep) return preStop.sleep.seconds;
  const command = preStop.exec?.command ?? [];
  const script = command.length === 3 && command[1] === "-c" ? command[2] : command.join(" ");
  const match = /^\s*sleep\s+(\d+)\s*$/.exec(script ?? "");
  if (!match) throw new Error(`cannot tell how long preStop ${JSON.stringify(preStop)} takes`);
  return Number(match[1]);
}
