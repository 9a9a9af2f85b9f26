/**
 * Minimal HTTP(S) client for health probes and the few bootstrap calls of the harness (StorageClass, Nodes).
 * Tests use @kubernetes/client-node; the harness only needs status codes and JSON bodies.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpOptions {
  method?: string;
  body?: unknown;
  /** Of the JSON body; default application/json (patches name theirs). */
  contentType?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Skip server certificate verification: only for components' self-signed health endpoints on loopback. */
  insecure?: boolean;
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  body: string;
}

export function fetchText(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const target = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: opts.method ?? "GET",
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: !opts.insecure,
        // An explicit length: a chunked DELETE body leaves the apiserver answering 400 to what follows on the socket.
        headers: payload === undefined ? {} : { "content-type": opts.contentType ?? "application/json", "content-length": Buffer.byteLength(payload) },
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${opts.method ?? "GET"} ${url}: no answer in time`)));
    req.on("error", reject);
    req.end(payload);
  });
}
