/**
 * Where the API server is and how to authenticate to it: kubeconfig files and the in-cluster service account, with
 * client-go's loading rules, reduced to what the transport needs (server URL, TLS options for the https agent,
 * proxy URL, per-request auth headers).
 *
 * Our own rather than @kubernetes/client-node's KubeConfig: importing that package loads its whole generated API
 * (~84 MiB of RSS on Node 24) for a YAML file and a handful of credential kinds.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isIP } from "node:net";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { parse } from "yaml";
import { realClock } from "./clock.ts";
import { EXEC_API_VERSIONS, execTokenSource, fileTokenSource } from "./credentials.ts";
import type { ExecClusterInfo, ExecConfig, Now } from "./credentials.ts";
import { errorMessage } from "./errors.ts";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The TLS part of the https agent's options (http.ts). */
export interface TlsOptions {
  ca?: Buffer | undefined;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  rejectUnauthorized: boolean;
  servername?: string | undefined;
}

/** A resolved connection to one API server (client-go's rest.Config). */
export interface RestConfig {
  /** Base URL without a trailing slash (it may carry a path prefix). */
  server: string;
  tls: TlsOptions;
  /** An http(s) proxy for every request. */
  proxyUrl?: string | undefined;
  /** Headers of the next request (lowercase names); credentials that rotate are refreshed here. */
  authHeaders(): Promise<Record<string, string>>;
}

/** What the loader reads from the process; tests inject their own. */
export interface LoadOptions {
  /** Default process.env: KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT. */
  env?: Record<string, string | undefined>;
  serviceAccountDir?: string;
  clock?: Now;
}

/**
 * An explicit kubeconfig file; else the files of $KUBECONFIG (merged), else ~/.kube/config; when none of those
 * exists, the in-cluster service account.
 */
export function loadKubeConfig(file?: string, opts: LoadOptions = {}): RestConfig {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? realClock;
  if (file) return fromKubeconfigFiles([file], clock);
  const candidates = env.KUBECONFIG
    ? [...new Set(env.KUBECONFIG.split(delimiter).filter(Boolean))]
    : [join(env.HOME || homedir(), ".kube", "config")];
  // client-go skips missing files of the list, but not unreadable or invalid ones.
  const existing = candidates.filter((p) => existsSync(p));
  if (existing.length > 0) return fromKubeconfigFiles(existing, clock);
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return inClusterConfig(env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, clock);
  throw new Error(
    `no kubeconfig found (looked for ${candidates.join(", ")}) and not running in a cluster ` +
      "(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)",
  );
}

/** rest.InClusterConfig: the service's env vars, the mounted CA and the (rotating) service-account token. */
function inClusterConfig(env: Record<string, string | undefined>, dir: string, clock: Now): RestConfig {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  // client-go only logs an unreadable CA and falls back to system roots; failing here names the file instead of
  // leaving a TLS verification error for later.
  const ca = readFile(join(dir, "ca.crt"), "in-cluster CA certificate");
  const token = fileTokenSource(join(dir, "token"), clock);
  return {
    server: `https://${hostPart}:${env.KUBERNETES_SERVICE_PORT ?? ""}`,
    tls: { ca, rejectUnauthorized: true },
    authHeaders: () => Promise.resolve({ authorization: `Bearer ${token()}` }),
  };
}

// ---- kubeconfig files -----------------------------------------------------------------------------------------

type Fields = Record<string, unknown>;

/** A named entry and the directory of the file that defined it (its relative paths resolve against that). */
interface Entry {
  fields: Fields;
  dir: string;
}

interface Merged {
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
  contexts: Map<string, Entry>;
  currentContext: string | undefined;
  files: string[];
}

const SECTIONS = [
  ["clusters", "cluster"],
  ["users", "user"],
  ["contexts", "context"],
] as const;

/** client-go's merge of a file list: the first file to define a name (or current-context) wins. */
function fromKubeconfigFiles(files: string[], clock: Now): RestConfig {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: undefined, files };
  for (const file of files) {
    const doc = parseKubeconfig(file);
    const dir = dirname(resolve(file));
    for (const [section, key] of SECTIONS) {
      const list = doc[section] ?? [];
      if (!Array.isArray(list)) throw new Error(`kubeconfig ${file}: ${section} is not a list`);
      list.forEach((item: unknown, i) => {
        const name = isFields(item) ? item.name : undefined;
        if (typeof name !== "string" || !name) throw new Error(`kubeconfig ${file}: ${section}[${i}] has no name`);
        const fields = (item as Fields)[key] ?? {};
        if (!isFields(fields)) throw new Error(`kubeconfig ${file}: ${section}[${i}].${key} is not a map`);
        if (!merged[section].has(name)) merged[section].set(name, { fields, dir });
      });
    }
    merged.currentContext ||= optionalString(doc, "current-context", file) || undefined;
  }
  return fromMerged(merged, clock);
}

function parseKubeconfig(file: string): Fields {
  const text = readFile(file, "kubeconfig").toString("utf8");
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`kubeconfig ${file} is not valid YAML: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isFields(doc)) throw new Error(`kubeconfig ${file} is not a map`);
  return doc;
}

function fromMerged(m: Merged, clock: Now): RestConfig {
  const where = `kubeconfig ${m.files.join(delimiter)}`;
  const contextName = m.currentContext;
  if (!contextName) throw new Error(`${where}: current-context is not set`);
  const context = m.contexts.get(contextName);
  if (!context) throw new Error(`${where}: context "${contextName}" not found`);
  const clusterName = optionalString(context.fields, "cluster", `context "${contextName}"`);
  if (!clusterName) throw new Error(`${where}: context "${contextName}" names no cluster`);
  const cluster = m.clusters.get(clusterName);
  if (!cluster) throw new Error(`${where}: cluster "${clusterName}" of context "${contextName}" not found`);
  // A context without a user is anonymous, as in client-go.
  const userName = optionalString(context.fields, "user", `context "${contextName}"`);
  const user = userName ? m.users.get(userName) : { fields: {}, dir: "" };
  if (!user) throw new Error(`${where}: user "${userName}" of context "${contextName}" not found`);

  const c = clusterSettings(cluster, `cluster "${clusterName}"`);
  const u = userSettings(user, `user "${userName}"`, c.execInfo, clock);
  return { server: c.server, proxyUrl: c.proxyUrl, tls: { ...c.tls, cert: u.cert, key: u.key }, authHeaders: u.authHeaders };
}

interface ClusterSettings {
  server: string;
  tls: TlsOptions;
  proxyUrl: string | undefined;
  execInfo: ExecClusterInfo;
}

function clusterSettings({ fields, dir }: Entry, what: string): ClusterSettings {
  const get = (key: string): string | undefined => optionalString(fields, key, what);
  let server = get("server");
  if (!server) throw new Error(`${what} has no server`);
  const ca = dataOrFile(fields, "certificate-authority", dir, what);
  const insecure = fields["insecure-skip-tls-verify"] === true;
  // Verifying nothing while naming a CA is a contradiction client-go refuses too.
  if (insecure && ca) throw new Error(`${what}: certificate-authority and insecure-skip-tls-verify exclude each other`);
  const proxyUrl = get("proxy-url");
  if (proxyUrl && !/^https?:\/\//.test(proxyUrl)) throw new Error(`${what}: unsupported proxy-url scheme: ${proxyUrl}`);
  // A server without a scheme is https when TLS is configured (client-go's DefaultServerURL).
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(server)) server = `${ca || insecure ? "https" : "http"}://${server}`;
  server = server.replace(/\/+$/, "");
  const servername = get("tls-server-name");
  const extensions = Array.isArray(fields.extensions) ? (fields.extensions as unknown[]) : [];
  const execExtension = extensions.find((e) => isFields(e) && e.name === "client.authentication.k8s.io/exec");
  return {
    server,
    proxyUrl,
    tls: { ca, rejectUnauthorized: !insecure, servername },
    execInfo: {
      server,
      "tls-server-name": servername,
      "insecure-skip-tls-verify": insecure || undefined,
      "certificate-authority-data": ca?.toString("base64"),
      "proxy-url": proxyUrl,
      config: isFields(execExtension) ? execExtension.extension : undefined,
    },
  };
}

interface UserSettings {
  cert: Buffer | undefined;
  key: Buffer | undefined;
  authHeaders: () => Promise<Record<string, string>>;
}

function userSettings({ fields, dir }: Entry, what: string, cluster: ExecClusterInfo, clock: Now): UserSettings {
  const get = (key: string): string | undefined => optionalString(fields, key, what);
  const cert = dataOrFile(fields, "client-certificate", dir, what);
  const key = dataOrFile(fields, "client-key", dir, what);
  if (cert && !key) throw new Error(`${what} has a client certificate but no client-key or client-key-data`);
  if (key && !cert) throw new Error(`${what} has a client key but no client-certificate or client-certificate-data`);
  const provider = fields["auth-provider"];
  if (provider !== undefined && provider !== null) {
    const name = isFields(provider) && typeof provider.name === "string" ? provider.name : "unnamed";
    throw new Error(
      `${what} uses the "${name}" auth-provider, which is not supported: configure an exec credential plugin ` +
        "(users[].user.exec) instead",
    );
  }
  const token = get("token");
  const tokenFile = get("tokenFile");
  const username = get("username");
  const password = get("password") ?? "";
  if ((token || tokenFile) && username) throw new Error(`${what} sets both a token and a username/password; only one is allowed`);

  let authHeaders: () => Promise<Record<string, string>> = () => Promise.resolve({});
  // client-go reads tokenFile in preference to token (the file is what rotates), and a static Authorization header
  // bypasses the exec plugin.
  if (tokenFile) {
    const source = fileTokenSource(resolvePath(dir, tokenFile), clock);
    authHeaders = () => Promise.resolve({ authorization: `Bearer ${source()}` });
  } else if (token) {
    authHeaders = () => Promise.resolve({ authorization: `Bearer ${token}` });
  } else if (username) {
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    authHeaders = () => Promise.resolve({ authorization: basic });
  } else if (fields.exec !== undefined && fields.exec !== null) {
    const { config, provideClusterInfo } = execConfig(fields.exec, dir, what);
    const source = execTokenSource(config, provideClusterInfo ? cluster : undefined, clock);
    authHeaders = async () => ({ authorization: `Bearer ${await source()}` });
  }
  return { cert, key, authHeaders };
}

function execConfig(raw: unknown, dir: string, what: string): { config: ExecConfig; provideClusterInfo: boolean } {
  if (!isFields(raw)) throw new Error(`${what}: exec is not a map`);
  const where = `${what} exec`;
  const apiVersion = optionalString(raw, "apiVersion", where) ?? "";
  if (!EXEC_API_VERSIONS.includes(apiVersion)) {
    throw new Error(`${where}: apiVersion "${apiVersion}" is not supported (use ${EXEC_API_VERSIONS.join(" or ")})`);
  }
  let command = optionalString(raw, "command", where);
  if (!command) throw new Error(`${where} has no command`);
  // Like client-go: a command with a path separator is a file path (relative to the kubeconfig); a bare name is
  // looked up in PATH.
  if (command.includes("/")) command = resolvePath(dir, command);
  const args = raw.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) throw new Error(`${where}: args must be strings`);
  const env = raw.env ?? [];
  if (!Array.isArray(env) || !env.every((e) => isFields(e) && typeof e.name === "string" && typeof e.value === "string")) {
    throw new Error(`${where}: env must be a list of {name, value} strings`);
  }
  return {
    config: { apiVersion, command, args, env: env as ExecConfig["env"], installHint: optionalString(raw, "installHint", where) },
    provideClusterInfo: raw.provideClusterInfo === true,
  };
}

// ---- helpers --------------------------------------------------------------------------------------------------

/** `<name>-data` (base64) wins over the file `<name>`, as in client-go. */
function dataOrFile(fields: Fields, name: string, dir: string, what: string): Buffer | undefined {
  const data = optionalString(fields, `${name}-data`, what);
  if (data) return Buffer.from(data, "base64");
  const file = optionalString(fields, name, what);
  return file ? readFile(resolvePath(dir, file), `${what} ${name}`) : undefined;
}

function resolvePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${errorMessage(err)}`);
  }
}

function optionalString(fields: Fields, key: string, what: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new Error(`${what}: ${key} must be a string`);
  return value;
}

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
