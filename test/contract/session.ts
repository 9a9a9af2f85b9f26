/**
 * One rendered pod brought to life: its launch (./pod.ts), the dfs process, and the calls every contract test
 * makes against it (probe until started, API URLs with the right TLS, admin login, adapter relocation).
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { CONTAINER_NAME } from "../../src/dittoserver/names.ts";
import { allocatePorts } from "../controlplane/ports.ts";
import type { PortLease } from "../controlplane/ports.ts";
import type { TestPki } from "./certs.ts";
import { startDfs, tail } from "./dfs.ts";
import type { DfsServer } from "./dfs.ts";
import { parseJson, request } from "./http.ts";
import type { HttpResponse, TlsOptions } from "./http.ts";
import { containerOf, prepareLaunch } from "./pod.ts";
import type { Container, Launch, ProbeSpec } from "./pod.ts";
import { hostPort, runProbe } from "./probe.ts";
import type { RenderedPod } from "./render.ts";

export interface RenderedConfig {
  shutdown_timeout?: string;
  database?: { type?: string; sqlite?: { path?: string } };
  controlplane?: { tls?: { cert_file?: string; client_ca?: string } };
}

export interface Session {
  rendered: RenderedPod;
  config: RenderedConfig;
  container: Container;
  launch: Launch;
  /** The running server; throws (with the log) when it is not running. */
  server(): DfsServer;
  /** Starts dfs and waits until the startup probe passes, within the probe's own failure budget. */
  start(logName?: string): Promise<DfsServer>;
  apiUrl(path: string): string;
  /** TLS options for API calls: the test CA, plus the client certificate when `clientCert`. */
  apiTls(clientCert?: boolean): TlsOptions;
  /** Admin API call with a bearer token. */
  call(method: string, path: string, token: string, body?: unknown): Promise<HttpResponse>;
  /** Logs in as admin (default password: the bootstrap Secret's) and returns the response. */
  login(password?: string): Promise<HttpResponse>;
  /** Moves NFS and SMB off the machine-wide default ports; returns the ports now used. */
  moveAdapters(token: string): Promise<{ nfs: number; smb: number }>;
  /** Kills dfs if running and releases ports. */
  close(): Promise<void>;
}

export async function openSession(rendered: RenderedPod, binary: string, dir: string, pki: TestPki): Promise<Session> {
  const lease: PortLease = await allocatePorts(2);
  let launch: Launch;
  try {
    launch = prepareLaunch({
      statefulSet: rendered.statefulSet,
      configMaps: rendered.configMaps,
      secrets: rendered.secrets,
      services: rendered.services,
      containerName: CONTAINER_NAME,
      binary,
      dir,
      freePorts: lease.ports,
    });
  } catch (err) {
    lease.release();
    throw err;
  }
  const container = containerOf(rendered.statefulSet, CONTAINER_NAME);
  const config = parse(rendered.config) as RenderedConfig;
  const https = config.controlplane?.tls?.cert_file !== undefined;
  let dfs: DfsServer | undefined;

  const session: Session = {
    rendered,
    config,
    container,
    launch,
    server: () => {
      if (!dfs || dfs.exited()) throw new Error(`dfs is not running${dfs ? ` (${JSON.stringify(dfs.exited())}); log:\n${tail(dfs.log())}` : ""}`);
      return dfs;
    },
    start: async (logName) => {
      if (dfs && !dfs.exited()) throw new Error("dfs is already running");
      dfs = startDfs(launch, dir, logName);
      const probe = container.startupProbe;
      if (!probe) throw new Error("the container has no startup probe");
      await untilProbePasses(dfs, container, launch, probe);
      return dfs;
    },
    apiUrl: (path) => `${https ? "https" : "http"}://127.0.0.1:${hostPort(container, launch, "api")}${path}`,
    apiTls: (clientCert = true) => (https ? { ca: pki.ca.cert, ...(clientCert ? { cert: pki.client.cert, key: pki.client.key } : {}) } : {}),
    call: (method, path, token, body) =>
      request(session.apiUrl(path), { method, body, headers: { authorization: `Bearer ${token}` }, tls: session.apiTls() }),
    login: (password = rendered.adminPassword) =>
      request(session.apiUrl("/api/v1/auth/login"), { method: "POST", body: { username: "admin", password }, tls: session.apiTls() }),
    moveAdapters: async (token) => {
      const ports = await allocatePorts(2);
      try {
        const moved = { nfs: ports.ports[0]!, smb: ports.ports[1]! };
        for (const [type, port] of Object.entries(moved)) {
          const response = await session.call("PUT", `/api/v1/adapters/${type}`, token, { port });
          assert.equal(response.status, 200, `moving the ${type} adapter: ${response.body}`);
        }
        return moved;
      } finally {
        ports.release();
      }
    },
    close: async () => {
      await dfs?.kill();
      lease.release();
    },
  };
  return session;
}

/** The access token of a successful admin login (asserts success). */
export function accessToken(response: HttpResponse): string {
  assert.equal(response.status, 200, `admin login: ${response.body}`);
  const token = (parseJson(response, "login") as { access_token?: string }).access_token;
  assert.ok(token, "login answered without an access token");
  return token;
}

/** Runs the startup probe on its period until it passes or its failure budget (threshold × period) is spent. */
async function untilProbePasses(server: DfsServer, container: Container, launch: Launch, probe: ProbeSpec): Promise<void> {
  const budgetMs = (probe.failureThreshold ?? 3) * (probe.periodSeconds ?? 10) * 1000;
  const deadline = Date.now() + budgetMs;
  let last = "";
  while (Date.now() < deadline) {
    if (server.exited()) throw new Error(`dfs exited (${JSON.stringify(server.exited())}); log:\n${tail(server.log())}`);
    try {
      const outcome = await runProbe(container, launch, probe);
      if (outcome.kind === "tcp" || (outcome.response.status >= 200 && outcome.response.status < 400)) return;
      last = `HTTP ${outcome.response.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`startup probe still failing after ${budgetMs / 1000} s (${last}); log:\n${tail(server.log())}`);
}
