/**
 * A lab for contract tests of the operator's DittoFS client (src/dittofs/): real dfs v0.29.0 servers started from
 * rendered pods, each with a client dialing 127.0.0.1 (as the operator dials a pod IP), an admin token and dfsctl.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AccountApi } from "../../src/dittofs/account.ts";
import { DittoFsClient } from "../../src/dittofs/client.ts";
import type { ApiEndpoint } from "../../src/dittofs/client.ts";
import { DittoFsError } from "../../src/dittofs/errors.ts";
import { makePki } from "./certs.ts";
import type { TestPki } from "./certs.ts";
import { dfsBinary, dfsBinDir } from "./dfs.ts";
import { hostPort } from "./probe.ts";
import { defaulted, NAMESPACE, renderPod } from "./render.ts";
import { accessToken, openSession } from "./session.ts";
import type { Session } from "./session.ts";

/** The API Service's DNS name: what the server certificate carries and what the client checks. */
export const apiDns = (name: string) => `${name}-api.${NAMESPACE}.svc`;

export function manifest(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { metadata: { name }, spec: { storage: { metadataSize: "1Gi" }, ...spec } };
}

export async function rejected(call: Promise<unknown>): Promise<DittoFsError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof DittoFsError, `expected a DittoFsError, got ${String(err)}`);
    return err;
  }
  assert.fail("the call was expected to fail");
}

/** Counts calls per method: a walk's cost on the real server. */
export function counting(client: DittoFsClient): { api: AccountApi; calls: string[] } {
  const calls: string[] = [];
  const api = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { api, calls };
}

export interface Booted {
  session: Session;
  client: DittoFsClient;
  adminToken: string;
  adminPassword: string;
  /** Runs dfsctl against this server as admin; resolves with stdout, rejects with stderr. */
  dfsctl(...args: string[]): Promise<string>;
}

export interface Lab {
  work: string;
  /** Its server certificate carries the API Service names of `serverNames`. */
  pki: TestPki;
  /** Starts a server for DittoServer `name` and logs in as admin; `tls` makes its client speak HTTPS. */
  boot(name: string, spec?: Record<string, unknown>, tls?: ApiEndpoint["tls"]): Promise<Booted>;
  clientFor(session: Session, tls?: ApiEndpoint["tls"]): DittoFsClient;
  close(): Promise<void>;
}

export async function openLab(prefix: string, serverNames: string[]): Promise<Lab> {
  const binary = await dfsBinary();
  const ctlBinary = join(await dfsBinDir(), "dfsctl");
  const work = mkdtempSync(join(tmpdir(), `dittofs-contract-${prefix}-`));
  const pki = makePki(join(work, "pki"), serverNames.map(apiDns));
  const sessions: Session[] = [];
  const clients: DittoFsClient[] = [];

  const clientFor = (session: Session, tls?: ApiEndpoint["tls"]): DittoFsClient => {
    const client = new DittoFsClient({ podIP: "127.0.0.1", port: hostPort(session.container, session.launch, "api"), tls }, { timeoutMs: 10_000 });
    clients.push(client);
    return client;
  };

  const boot = async (name: string, spec: Record<string, unknown> = {}, tls?: ApiEndpoint["tls"]): Promise<Booted> => {
    const rendered = renderPod(defaulted(manifest(name, spec)), { pki });
    const session = await openSession(rendered, binary, join(work, name), pki);
    sessions.push(session);
    await session.start();
    const adminToken = accessToken(await session.login());
    await session.moveAdapters(adminToken);
    const home = join(work, name, "dfsctl-home");
    mkdirSync(home, { recursive: true });
    const scheme = tls ? "https" : "http";
    const server = `${scheme}://127.0.0.1:${hostPort(session.container, session.launch, "api")}`;
    const dfsctl = (...args: string[]) =>
      new Promise<string>((resolve, reject) => {
        execFile(
          ctlBinary,
          ["--server", server, "--token", adminToken, "--no-color", ...args],
          { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: home }, timeout: 30_000 },
          (err, stdout, stderr) => {
            if (err) reject(new Error(`dfsctl ${args.join(" ")}: ${stderr || err.message}`));
            else resolve(stdout);
          },
        );
      });
    return { session, client: clientFor(session, tls), adminToken, adminPassword: rendered.adminPassword, dfsctl };
  };

  return {
    work,
    pki,
    boot,
    clientFor,
    close: async () => {
      for (const client of clients) client.close();
      for (const session of sessions) await session.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
