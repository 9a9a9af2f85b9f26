/**
 * Minimal HTTP(S) client for talking to a real dfs: plain `node:http`/`node:https` so TLS options (CA, client
 * certificate, no verification like the kubelet) are explicit per request, and a TCP connect check.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { Socket } from "node:net";

export interface TlsOptions {
  /** PEM CA to verify the server with; when absent and `insecure` is set nothing is verified. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Skip server verification, as the kubelet does for HTTPS probes. */
  insecure?: boolean;
  servername?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  tls?: TlsOptions;
  timeoutMs?: number;
}

export function request(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers["content-type"] = "application/json";
  const tls = options.tls ?? {};
  return new Promise((resolve, reject) => {
    const common = { method: options.method ?? "GET", headers, timeout: options.timeoutMs ?? 5000 };
    const req =
      target.protocol === "https:"
        ? httpsRequest(target, {
            ...common,
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            rejectUnauthorized: !tls.insecure,
            servername: tls.servername,
            agent: false,
          })
        : httpRequest(target, { ...common, agent: false });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${common.timeout} ms: ${common.method} ${url}`)));
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      });
      res.on("error", reject);
    });
    req.end(body);
  });
}

/** Resolves when a TCP connection to host:port is accepted (what a tcpSocket probe checks). */
export async function tcpConnect(host: string, port: number, timeoutMs = 3000): Promise<void> {
  (await openConnection(host, port, timeoutMs)).end();
}

/** An accepted TCP connection left open (a client that does not hang up); the caller destroys it. */
export function openConnection(host: string, port: number, timeoutMs = 3000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function parseJson(response: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new Error(`${what}: HTTP ${response.status} with a body that is not JSON: ${response.body.slice(0, 300)}`);
  }
}
