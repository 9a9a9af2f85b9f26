/**
 * Credentials that change while the process runs: bearer-token files (kubelet rotates projected service-account
 * tokens in place) and exec credential plugins (client.authentication.k8s.io ExecCredential), with client-go's
 * caching rules. Used by kubeconfig.ts.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Clock } from "./clock.ts";
import { errorMessage } from "./errors.ts";

export type Now = Pick<Clock, "now">;

/** client-go's cached file token source re-reads the file at most once a minute. */
export const TOKEN_FILE_CACHE_MS = 60_000;

function readToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new Error(`cannot read token file ${path}: ${errorMessage(err)}`);
  }
  if (!token) throw new Error(`token file ${path} is empty`);
  return token;
}

/**
 * The token of `path`, read now (so a bad path fails at load time) and again once the cached copy is older than a
 * minute. A failed re-read keeps the last good token, as client-go does: the file is replaced atomically, and the
 * old token stays valid for a while after rotation.
 */
export function fileTokenSource(path: string, clock: Now): () => string {
  let token = readToken(path);
  let readAt = clock.now();
  return () => {
    if (clock.now() - readAt >= TOKEN_FILE_CACHE_MS) {
      try {
        token = readToken(path);
        readAt = clock.now();
      } catch {
        // Keep the last token; try again on the next request.
      }
    }
    return token;
  };
}

export const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

/** `users[].user.exec` of a kubeconfig, paths already resolved. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string | undefined;
}

/** `spec.cluster` of the ExecCredential request, sent when the kubeconfig sets `provideClusterInfo`. */
export interface ExecClusterInfo {
  server: string;
  "tls-server-name"?: string | undefined;
  "insecure-skip-tls-verify"?: boolean | undefined;
  "certificate-authority-data"?: string | undefined;
  "proxy-url"?: string | undefined;
  config?: unknown;
}

interface ExecToken {
  token: string;
  /** Epoch ms; Infinity when the plugin gave no expirationTimestamp (client-go keeps such a token until a 401). */
  expiresAt: number;
}

/**
 * A token from an exec plugin, cached until its `status.expirationTimestamp`; the plugin runs again on the first
 * request after that. Concurrent requests share one run.
 */
export function execTokenSource(exec: ExecConfig, cluster: ExecClusterInfo | undefined, clock: Now): () => Promise<string> {
  let cached: ExecToken | undefined;
  let running: Promise<string> | undefined;
  return () => {
    if (cached && clock.now() < cached.expiresAt) return Promise.resolve(cached.token);
    running ??= runExecPlugin(exec, cluster)
      .then((result) => {
        cached = result;
        return result.token;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

interface ExecFailure {
  code?: unknown;
  stderr?: unknown;
}

async function runExecPlugin(exec: ExecConfig, cluster: ExecClusterInfo | undefined): Promise<ExecToken> {
  const request = {
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    // No terminal is attached to an operator: plugins must not prompt.
    spec: cluster ? { interactive: false, cluster } : { interactive: false },
  };
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(request) };
  for (const { name, value } of exec.env) env[name] = value;
  const what = `exec credential plugin ${exec.command}`;
  const hint = exec.installHint ? `\n\n${exec.installHint}` : "";
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(exec.command, exec.args, { env, maxBuffer: 1 << 20 }, (err, out, stderr) => {
      if (!err) {
        resolve(out);
        return;
      }
      const failure = err as ExecFailure;
      if (failure.code === "ENOENT") {
        reject(new Error(`${what} not found${hint}`));
        return;
      }
      const detail = typeof failure.code === "number" ? `exit code ${failure.code}` : err.message;
      const output = stderr.trim() ? `: ${stderr.trim().slice(-2_000)}` : "";
      reject(new Error(`${what} failed with ${detail}${output}${hint}`));
    });
  });
  return parseExecCredential(stdout, exec.apiVersion, what);
}

function parseExecCredential(stdout: string, apiVersion: string, what: string): ExecToken {
  let cred: unknown;
  try {
    cred = JSON.parse(stdout);
  } catch {
    throw new Error(`${what} printed no ExecCredential JSON`);
  }
  const { kind, apiVersion: gotVersion, status } = (cred ?? {}) as { kind?: unknown; apiVersion?: unknown; status?: unknown };
  if (kind !== "ExecCredential" || gotVersion !== apiVersion) {
    throw new Error(`${what} returned kind ${String(kind)} of ${String(gotVersion)}, want ExecCredential of ${apiVersion}`);
  }
  if (typeof status !== "object" || status === null) throw new Error(`${what} returned an ExecCredential without status`);
  const s = status as { token?: unknown; clientCertificateData?: unknown; clientKeyData?: unknown; expirationTimestamp?: unknown };
  if (s.clientCertificateData || s.clientKeyData) {
    throw new Error(`${what} returned a client certificate: certificates from exec plugins are not supported, only tokens`);
  }
  if (typeof s.token !== "string" || !s.token) throw new Error(`${what} returned no status.token`);
  if (s.expirationTimestamp === undefined || s.expirationTimestamp === null) return { token: s.token, expiresAt: Infinity };
  const expiresAt = typeof s.expirationTimestamp === "string" ? Date.parse(s.expirationTimestamp) : NaN;
  if (Number.isNaN(expiresAt)) throw new Error(`${what} returned an invalid expirationTimestamp ${JSON.stringify(s.expirationTimestamp)}`);
  return { token: s.token, expiresAt };
}
