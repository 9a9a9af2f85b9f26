/**
 * Client of one DittoFS server's REST API (`/api/v1`), on the same node:http(s) plumbing as the Kubernetes
 * transport (src/runtime/http.ts).
 *
 * The address is built only from a pod IP, a port and a scheme: never from a URL, so nothing a user can write into
 * a Secret or an annotation can send the operator's credentials elsewhere (the reference's SSRF, defect 16). With TLS
 * the certificate is verified against the given CA for the given DNS name (the API Service's), which is also sent as
 * SNI, although the connection goes to the pod IP; a client certificate is presented when one is given (mTLS).
 *
 * Each call has a deadline and takes an AbortSignal. The client never retries: it classifies the failure
 * (./errors.ts) and the caller decides. Credentials travel only in bodies and the Authorization header, and every
 * error text is redacted of them.
 */
import type { Agent } from "node:http";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import { header, readText, send } from "../runtime/http.ts";
import { httpError, invalidResponse, transportError } from "./errors.ts";
import { parseAdapters, parseLiveness, parseNfsSettings, parseSession, parseShareStores, parseSnapshotPolicies, parseSnapshotPolicy, parseStore, parseStores, parseUser, ShapeError } from "./wire.ts";
import type { Adapter, Liveness, NfsSettings, Role, Session, ShareStores, SnapshotPolicy, SnapshotPolicyBody, Store, StoreBody, User } from "./wire.ts";
import { parseGroup, parseGroups, parseUserRecord } from "./wire-users.ts";
import type { GroupFields, GroupRecord, NewUser, UserFields, UserRecord } from "./wire-users.ts";

export interface EndpointTls {
  /** PEM CA bundle the server certificate must chain to. */
  ca: string;
  /** DNS name the server certificate must carry (the API Service's), also sent as SNI. */
  serverName: string;
  /** Client certificate and key (PEM) for a server that requires mTLS. */
  clientCertificate?: { cert: string; key: string } | undefined;
}

/** Where one server's API listens: the pod's IP and the API port, HTTPS when `tls` is given. */
export interface ApiEndpoint {
  podIP: string;
  port: number;
  tls?: EndpointTls | undefined;
}

export interface ClientOptions {
  /** Deadline of each request, headers and body together. Default 10 s, as the reference. */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Where each kind of store the operator manages is listed and created: metadata, local block, remote block. */
const STORE_PATHS = { metadata: "/store/metadata", block: "/store/block/local", remote: "/store/block/remote" } as const;
export type StoreKindPath = keyof typeof STORE_PATHS;
const API_PREFIX = "/api/v1";

/** The base URL of an endpoint; throws unless `podIP` is an IP literal and `port` a port. */
export function endpointBase(endpoint: ApiEndpoint): URL {
  const family = isIP(endpoint.podIP);
  if (family === 0) throw new Error(`DittoFS API address must be an IP address, got ${JSON.stringify(endpoint.podIP)}`);
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) throw new Error(`invalid DittoFS API port ${endpoint.port}`);
  const host = family === 6 ? `[${endpoint.podIP}]` : endpoint.podIP;
  return new URL(`${endpoint.tls ? "https" : "http"}://${host}:${endpoint.port}`);
}

function createAgent(endpoint: ApiEndpoint): Agent {
  // Few sockets per server, kept between polls (the server's idle timeout is 60 s): a TLS handshake every poll
  // for every server would cost more CPU than the polls themselves.
  const common = { keepAlive: true, maxSockets: 2, scheduling: "lifo" as const };
  const tls = endpoint.tls;
  if (!tls) return new http.Agent(common);
  const serverName = tls.serverName;
  return new https.Agent({
    ...common,
    ca: tls.ca,
    servername: serverName,
    // The name to check is the Service's, not the IP we dial.
    checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert),
    minVersion: "TLSv1.2",
    ...(tls.clientCertificate ? { cert: tls.clientCertificate.cert, key: tls.clientCertificate.key } : {}),
  });
}

/** Path segment for a share name: `/export` → `%2Fexport` (the server normalises it back to `/export`). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** One call: what `DittoFsClient.call` sends and how it reads the answer. */
export interface Request<T> {
  method: string;
  path: string;
  /** The path is outside /api/v1 (health). */
  root?: boolean;
  token?: string | undefined;
  body?: unknown;
  /** Credentials in the body, redacted from any error text. */
  secrets?: readonly string[];
  parse: (body: unknown) => T;
  signal?: AbortSignal | undefined;
}

export class DittoFsClient {
  readonly endpoint: ApiEndpoint;
  private readonly base: URL;
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(endpoint: ApiEndpoint, options: ClientOptions = {}) {
    this.base = endpointBase(endpoint);
    this.endpoint = endpoint;
    this.agent = createAgent(endpoint);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Closes the kept-alive sockets; the client must not be used afterwards. */
  close(): void {
    this.agent.destroy();
  }

  /** Unauthenticated liveness; says whether the server reaches its control-plane database. */
  health(options: CallOptions = {}): Promise<Liveness> {
    return this.call({ method: "GET", path: "/health", root: true, parse: parseLiveness, ...options });
  }

  login(username: string, password: string, options: CallOptions = {}): Promise<Session> {
    return this.call({ method: "POST", path: "/auth/login", body: { username, password }, secrets: [password], parse: parseSession, ...options });
  }

  refresh(refreshToken: string, options: CallOptions = {}): Promise<Session> {
    return this.call({ method: "POST", path: "/auth/refresh", body: { refresh_token: refreshToken }, secrets: [refreshToken], parse: parseSession, ...options });
  }

  me(token: string, options: CallOptions = {}): Promise<User> {
    return this.call({ method: "GET", path: "/auth/me", token, parse: (b) => parseUser(b), ...options });
  }

  /**
   * Changes the caller's own password; the one call a must-change token may make. `currentPassword` is required
   * by the server unless the account must change its password. Answers with a fresh token pair.
   */
  changeOwnPassword(token: string, newPassword: string, currentPassword?: string, options: CallOptions = {}): Promise<Session> {
    const body = { new_password: newPassword, ...(currentPassword === undefined ? {} : { current_password: currentPassword }) };
    return this.call({ method: "POST", path: "/users/me/password", token, body, secrets: [newPassword, currentPassword ?? ""], parse: parseSession, ...options });
  }

  getUser(token: string, username: string, options: CallOptions = {}): Promise<UserRecord> {
    return this.call({ method: "GET", path: `/users/${segment(username)}`, token, parse: (b) => parseUserRecord(b), ...options });
  }

  /** Admin only. 409 (kind `conflict`) when the user exists; 400 when a named group does not. */
  createUser(token: string, user: NewUser & { role: Role }, options: CallOptions = {}): Promise<User> {
    return this.call({ method: "POST", path: "/users", token, body: user, secrets: [user.password], parse: (b) => parseUser(b), ...options });
  }

  /** Admin only: changes the given fields, leaves the others. `groups` replaces every membership. */
  updateUser(token: string, username: string, changes: UserFields, options: CallOptions = {}): Promise<User> {
    return this.call({ method: "PUT", path: `/users/${segment(username)}`, token, body: changes, parse: (b) => parseUser(b), ...options });
  }

  /** Admin only. For an admin-role user the server sets must-change again. */
  resetPassword(token: string, username: string, newPassword: string, options: CallOptions = {}): Promise<void> {
    return this.call({ method: "POST", path: `/users/${segment(username)}/password`, token, body: { new_password: newPassword }, secrets: [newPassword], parse: () => undefined, ...options });
  }

  /** Admin only; 403 for `admin` itself. */
  deleteUser(token: string, username: string, options: CallOptions = {}): Promise<void> {
    return this.call({ method: "DELETE", path: `/users/${segment(username)}`, token, parse: () => undefined, ...options });
  }

  /** Admin only. */
  listGroups(token: string, options: CallOptions = {}): Promise<GroupRecord[]> {
    return this.call({ method: "GET", path: "/groups", token, parse: parseGroups, ...options });
  }

  /** Admin only. 404 (kind `notFound`) when there is no such group. */
  getGroup(token: string, name: string, options: CallOptions = {}): Promise<GroupRecord> {
    return this.call({ method: "GET", path: `/groups/${segment(name)}`, token, parse: (b) => parseGroup(b), ...options });
  }

  /** Admin only. 409 (kind `conflict`) when the name or the gid is taken. */
  createGroup(token: string, name: string, fields: GroupFields, options: CallOptions = {}): Promise<GroupRecord> {
    return this.call({ method: "POST", path: "/groups", token, body: { name, ...fields }, parse: (b) => parseGroup(b), ...options });
  }

  /** Admin only: changes the given fields. 404 when the group is gone. */
  updateGroup(token: string, name: string, fields: GroupFields, options: CallOptions = {}): Promise<GroupRecord> {
    return this.call({ method: "PUT", path: `/groups/${segment(name)}`, token, body: fields, parse: (b) => parseGroup(b), ...options });
  }

  /** Admin only. 403 for the system groups (admins, operators, users); 404 when gone. */
  deleteGroup(token: string, name: string, options: CallOptions = {}): Promise<void> {
    return this.call({ method: "DELETE", path: `/groups/${segment(name)}`, token, parse: () => undefined, ...options });
  }

  /** Admin or operator role. */
  listAdapters(token: string, options: CallOptions = {}): Promise<Adapter[]> {
    return this.call({ method: "GET", path: "/adapters", token, parse: parseAdapters, ...options });
  }

  /** Admin only. */
  nfsSettings(token: string, options: CallOptions = {}): Promise<NfsSettings> {
    return this.call({ method: "GET", path: "/adapters/nfs/settings", token, parse: parseNfsSettings, ...options });
  }

  /** Admin only: partial update, e.g. `{portmapper_enabled: true}`. Answers with the resulting NFS settings. */
  patchNfsSettings(token: string, changes: { portmapper_enabled?: boolean; portmapper_port?: number }, options: CallOptions = {}): Promise<NfsSettings> {
    return this.call({ method: "PATCH", path: "/adapters/nfs/settings", token, body: changes, parse: parseNfsSettings, ...options });
  }

  /** Admin only. 404 when the share has no policy or does not exist. */
  getSnapshotPolicy(token: string, share: string, options: CallOptions = {}): Promise<SnapshotPolicy> {
    return this.call({ method: "GET", path: `/shares/${segment(share)}/snapshot-policy`, token, parse: (b) => parseSnapshotPolicy(b), ...options });
  }

  /** Admin only. 404 when the share does not exist; 400 (kind `rejected`) for invalid values. */
  putSnapshotPolicy(token: string, share: string, policy: SnapshotPolicyBody, options: CallOptions = {}): Promise<SnapshotPolicy> {
    return this.call({ method: "PUT", path: `/shares/${segment(share)}/snapshot-policy`, token, body: policy, parse: (b) => parseSnapshotPolicy(b), ...options });
  }

  /** Admin only. 404 when there is no policy. */
  deleteSnapshotPolicy(token: string, share: string, options: CallOptions = {}): Promise<void> {
    return this.call({ method: "DELETE", path: `/shares/${segment(share)}/snapshot-policy`, token, parse: () => undefined, ...options });
  }

  /** Admin only. */
  listSnapshotPolicies(token: string, options: CallOptions = {}): Promise<SnapshotPolicy[]> {
    return this.call({ method: "GET", path: "/snapshot-policies", token, parse: parseSnapshotPolicies, ...options });
  }

  /** Admin only. The shares with the ids of the stores they use. */
  listShareStores(token: string, options: CallOptions = {}): Promise<ShareStores[]> {
    return this.call({ method: "GET", path: "/shares", token, parse: parseShareStores, ...options });
  }

  /** Admin only. */
  listStores(token: string, kind: StoreKindPath, options: CallOptions = {}): Promise<Store[]> {
    return this.call({ method: "GET", path: STORE_PATHS[kind], token, parse: parseStores, ...options });
  }

  /** Admin only. 409 (kind `conflict`) when the name is taken; 400 (kind `rejected`) when the server cannot open it. */
  createStore(token: string, kind: StoreKindPath, body: StoreBody, options: CallOptions & { secrets?: readonly string[] } = {}): Promise<Store> {
    return this.call({ method: "POST", path: STORE_PATHS[kind], token, body, parse: (b) => parseStore(b), ...options });
  }

  /** Admin only: replaces type and config. 404 when the store is gone. */
  updateStore(token: string, kind: StoreKindPath, body: StoreBody, options: CallOptions & { secrets?: readonly string[] } = {}): Promise<Store> {
    const { name, ...changes } = body;
    return this.call({ method: "PUT", path: `${STORE_PATHS[kind]}/${segment(name)}`, token, body: changes, parse: (b) => parseStore(b), ...options });
  }

  /** Admin only. 404 when the store is gone. */
  deleteStore(token: string, kind: StoreKindPath, name: string, options: CallOptions = {}): Promise<void> {
    return this.call({ method: "DELETE", path: `${STORE_PATHS[kind]}/${segment(name)}`, token, parse: () => undefined, ...options });
  }

  /** One call; public for the per-area call sets built on the client (shares.ts). */
  async call<T>(req: Request<T>): Promise<T> {
    const path = req.root ? req.path : `${API_PREFIX}${req.path}`;
    const secrets = [...(req.secrets ?? []), ...(req.token ? [req.token] : [])];
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    const headers: Record<string, string> = { accept: "application/json, application/problem+json, text/plain" };
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers["content-type"] = "application/json";
    }
    let status: number;
    let text: string;
    let contentType: string | undefined;
    try {
      const res = await send(this.agent, new URL(path, this.base), { method: req.method, headers, body, signal });
      status = res.statusCode ?? 0;
      contentType = header(res, "content-type");
      text = await readText(res);
    } catch (err) {
      throw transportError(req.method, path, err, secrets);
    }
    if (status < 200 || status > 299) throw httpError(req.method, path, status, contentType, text, secrets);
    try {
      return req.parse(text === "" ? undefined : (JSON.parse(text) as unknown));
    } catch (err) {
      // Not the parser's message for bad JSON: V8 quotes the text, which may hold a token.
      if (err instanceof SyntaxError) throw invalidResponse(req.method, path, status, "not JSON");
      if (err instanceof ShapeError) throw invalidResponse(req.method, path, status, err.message);
      throw err;
    }
  }
}
