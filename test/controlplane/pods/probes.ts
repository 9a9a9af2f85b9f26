/**
 * One kubelet probe attempt against a pod IP: HTTP(S) GET (2xx/3xx passes; no certificate verification, as the
 * kubelet does) or a TCP connect. Exec probes are not run here; the caller treats them as passing.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { resolvePort } from "./spec.ts";
import type { Container, ProbeSpec } from "./spec.ts";

export interface ProbeResult {
  ok: boolean;
  /** What was seen: "HTTP 200", "connect ECONNREFUSED", … */
  detail: string;
}

export function probeOnce(container: Container, probe: ProbeSpec, podIP: string): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = resolvePort(container, probe.httpGet.port);
    const https = (probe.httpGet.scheme ?? "HTTP").toUpperCase() === "HTTPS";
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = send(
        { host: podIP, port, path: probe.httpGet!.path ?? "/", method: "GET", timeout: timeoutMs, rejectUnauthorized: false, agent: false },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          resolve({ ok: status >= 200 && status < 400, detail: `HTTP ${status}` });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on("error", (err) => {
        resolve({ ok: false, detail: err.message });
      });
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const port = resolvePort(container, probe.tcpSocket.port);
    return new Promise((resolve) => {
      const socket = connect({ host: podIP, port, timeout: timeoutMs });
      socket.once("connect", () => {
        socket.destroy();
        resolve({ ok: true, detail: "connected" });
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve({ ok: false, detail: `no connection in ${timeoutMs} ms` });
      });
      socket.once("error", (err) => {
        resolve({ ok: false, detail: err.message });
      });
    });
  }
  return Promise.resolve({ ok: true, detail: "exec probes are not run by the pod runner" });
}

/** Whether anything accepts TCP connections on `port` at `podIP` (the start-up measurement's "listening"). */
export function listening(podIP: string, port: number): Promise<boolean> {
  return probeOnce({ name: "-" }, { tcpSocket: { port }, timeoutSeconds: 1 }, podIP).then((r) => r.ok);
}
