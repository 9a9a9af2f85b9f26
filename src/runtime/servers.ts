/**
 * The manager's two small HTTP servers: probes (`/healthz`, `/readyz`) and metrics (`/metrics`).
 * Checks are named functions; a failing check answers 500 with the failing names, like controller-runtime's
 * healthz handler (`?verbose` lists every check). Metrics are served over HTTPS to authorized callers only
 * (metrics-auth.ts) unless secure serving is turned off.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { parseBindAddress } from "./flags.ts";
import type { RequestAuthorizer } from "./metrics-auth.ts";
import type { ServingCertificate } from "./serving-cert.ts";

export type Check = () => boolean | Promise<boolean>;

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** HTTPS with `certificate()`, asked again every `reloadIntervalMs` so a rotated Secret is picked up. */
interface TlsServing {
  certificate: () => ServingCertificate;
  /** controller-runtime's certwatcher polls every 10 s (the default). */
  reloadIntervalMs?: number;
  onReloadError: (err: unknown) => void;
}

async function listen(address: string, handler: Handler, tls?: TlsServing): Promise<RunningServer | undefined> {
  const bind = parseBindAddress(address);
  if (!bind) return undefined;
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`internal error: ${String(err)}\n`);
    });
  };
  let reload: NodeJS.Timeout | undefined;
  let server: Server;
  if (tls) {
    let current = tls.certificate();
    const httpsServer = createHttpsServer({ ...current, minVersion: "TLSv1.2" }, serve);
    reload = setInterval(() => {
      try {
        const next = tls.certificate();
        if (next.cert === current.cert && next.key === current.key) return;
        httpsServer.setSecureContext({ ...next, minVersion: "TLSv1.2" });
        current = next;
      } catch (err) {
        tls.onReloadError(err); // mid-rotation or removed: keep serving the last good pair
      }
    }, tls.reloadIntervalMs ?? 10_000).unref();
    server = httpsServer;
  } else {
    server = createServer(serve);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(reload);
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

async function runChecks(checks: Map<string, Check>): Promise<{ name: string; ok: boolean }[]> {
  return Promise.all(
    [...checks].map(async ([name, check]) => {
      try {
        return { name, ok: await check() };
      } catch {
        return { name, ok: false };
      }
    }),
  );
}

/** Serves `/healthz` and `/readyz` from the given check sets. */
export function startProbeServer(
  address: string,
  health: Map<string, Check>,
  ready: Map<string, Check>,
): Promise<RunningServer | undefined> {
  return listen(address, async (req, res) => {
    const url = new URL(req.url ?? "/", "http://probe");
    const checks = url.pathname === "/healthz" ? health : url.pathname === "/readyz" ? ready : undefined;
    if (!checks) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const results = await runChecks(checks);
    const ok = results.every((r) => r.ok);
    const verbose = !ok || url.searchParams.has("verbose");
    const lines = verbose ? results.map((r) => `[${r.ok ? "+" : "-"}]${r.name} ${r.ok ? "ok" : "failed"}`) : [];
    if (!ok) lines.push(`${url.pathname.slice(1)} check failed`);
    const body = lines.length > 0 ? `${lines.join("\n")}\n` : "ok\n";
    res.writeHead(ok ? 200 : 500, { "content-type": "text/plain" }).end(body);
  });
}

export interface SecureMetricsServing extends TlsServing {
  authorizer: RequestAuthorizer;
}

/**
 * Serves `/metrics` in the Prometheus text format; with `secure`, over HTTPS and only to callers the API server
 * authenticates and authorizes (the verb is the HTTP method's, HEAD counting as get, as the API server maps it).
 */
export function startMetricsServer(
  address: string,
  registry: { metrics(): Promise<string>; contentType: string },
  secure?: SecureMetricsServing,
): Promise<RunningServer | undefined> {
  const handler: Handler = async (req, res) => {
    const path = new URL(req.url ?? "/", "http://metrics").pathname;
    // Other paths are answered before any review: a caller cannot make the API server review paths of its choice.
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    if (secure) {
      const method = (req.method ?? "GET").toLowerCase();
      const decision = await secure.authorizer.authorize(req.headers.authorization, method === "head" ? "get" : method, path);
      if (decision.code !== 200) {
        const headers = decision.code === 401 ? { "www-authenticate": 'Bearer realm="metrics"' } : {};
        res.writeHead(decision.code, { "content-type": "text/plain", ...headers }).end(`${decision.reason}\n`);
        return;
      }
    }
    const text = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType }).end(text);
  };
  return listen(address, handler, secure);
}
