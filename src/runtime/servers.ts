/**
 * The manager's two small HTTP servers: probes (`/healthz`, `/readyz`) and metrics (`/metrics`).
 * Checks are named functions; a failing check answers 500 with the failing names, like controller-runtime's
 * healthz handler (`?verbose` lists every check).
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseBindAddress } from "./flags.ts";

export type Check = () => boolean | Promise<boolean>;

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

async function listen(address: string, handler: Handler): Promise<RunningServer | undefined> {
  const bind = parseBindAddress(address);
  if (!bind) return undefined;
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`internal error: ${String(err)}\n`);
    });
  });
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

/** Serves `/metrics` in the Prometheus text format. */
export function startMetricsServer(
  address: string,
  registry: { metrics(): Promise<string>; contentType: string },
): Promise<RunningServer | undefined> {
  return listen(address, async (req, res) => {
    if (new URL(req.url ?? "/", "http://metrics").pathname !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const text = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType }).end(text);
  });
}
