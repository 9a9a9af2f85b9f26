/**
 * The DittoFS v0.29.0 REST API's bodies as the operator uses them (`dittofs-server.md` §9), each with a parser
 * that checks the fields the operator relies on. A body that lacks one is an invalid response, not a crash later.
 */

export type Role = "admin" | "operator" | "user";

export interface User {
  username: string;
  role: string;
  enabled: boolean;
  mustChangePassword: boolean;
}

/** Answer of login, refresh and the own-password change: a fresh token pair. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, epoch milliseconds. */
  expiresAt: number;
  user: User;
}

/** An adapter's own health report (`status` of an adapter). */
export interface AdapterHealth {
  /** healthy | degraded | unhealthy | unknown | disabled */
  status: string;
  message: string;
}

export interface Adapter {
  type: string;
  port: number;
  enabled: boolean;
  running: boolean;
  health: AdapterHealth;
}

/** `GET /health`: always 200; `controlPlaneDb` is reachable, unreachable or unknown. */
export interface Liveness {
  /** healthy, or degraded when the control-plane database does not answer. */
  status: string;
  controlPlaneDb: string;
}

/** The NFS adapter settings the operator reads (`GET /adapters/nfs/settings`). */
export interface NfsSettings {
  portmapperEnabled: boolean;
  portmapperPort: number;
}

/** A share's snapshot policy as the server stores it (durations in Go's canonical form, e.g. `24h0m0s`). */
export interface SnapshotPolicy {
  share: string;
  interval: string;
  keepLast: number;
  /** "" when there is no age bound. */
  ttl: string;
  enabled: boolean;
  namePrefix: string;
}

/** Body of `PUT /shares/{name}/snapshot-policy`. */
export interface SnapshotPolicyBody {
  interval: string;
  keep_last?: number;
  ttl?: string;
  enabled?: boolean;
  name_prefix?: string;
}

/** Thrown by the parsers; the client turns it into an invalid-response error. */
export class ShapeError extends Error {}

export type Obj = Record<string, unknown>;

export function object(value: unknown, what: string): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ShapeError(`${what} is not an object`);
  return value as Obj;
}

export function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(`${what} is not an array`);
  return value;
}

export function field<T>(o: Obj, key: string, type: "string" | "number" | "boolean", what: string, fallback?: T): T {
  const value = o[key];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== type) throw new ShapeError(`${what}.${key} is not a ${type}`);
  return value as T;
}

export function parseUser(value: unknown, what = "user"): User {
  const o = object(value, what);
  return {
    username: field(o, "username", "string", what),
    role: field(o, "role", "string", what),
    enabled: field(o, "enabled", "boolean", what, true),
    mustChangePassword: field(o, "must_change_password", "boolean", what, false),
  };
}

export function parseSession(value: unknown): Session {
  const o = object(value, "token response");
  const expiresAt = Date.parse(field<string>(o, "expires_at", "string", "token response"));
  if (Number.isNaN(expiresAt)) throw new ShapeError("token response.expires_at is not a time");
  return {
    accessToken: field(o, "access_token", "string", "token response"),
    refreshToken: field(o, "refresh_token", "string", "token response"),
    expiresAt,
    user: parseUser(o.user, "token response.user"),
  };
}

export function parseAdapters(value: unknown): Adapter[] {
  return array(value, "adapter list").map((item, i) => {
    const what = `adapter[${i}]`;
    const o = object(item, what);
    const status = o.status === undefined ? {} : object(o.status, `${what}.status`);
    return {
      type: field(o, "type", "string", what),
      port: field(o, "port", "number", what),
      enabled: field(o, "enabled", "boolean", what),
      running: field(o, "running", "boolean", what),
      health: {
        status: field(status, "status", "string", `${what}.status`, "unknown"),
        message: field(status, "message", "string", `${what}.status`, ""),
      },
    };
  });
}

export function parseLiveness(value: unknown): Liveness {
  const o = object(value, "health");
  const data = o.data === undefined ? {} : object(o.data, "health.data");
  return { status: field(o, "status", "string", "health"), controlPlaneDb: field(data, "control_plane_db", "string", "health.data", "unknown") };
}

export function parseNfsSettings(value: unknown): NfsSettings {
  const o = object(value, "nfs settings");
  return {
    portmapperEnabled: field(o, "portmapper_enabled", "boolean", "nfs settings"),
    portmapperPort: field(o, "portmapper_port", "number", "nfs settings"),
  };
}

export function parseSnapshotPolicy(value: unknown, what = "snapshot policy"): SnapshotPolicy {
  const o = object(value, what);
  return {
    share: field(o, "share", "string", what),
    interval: field(o, "interval", "string", what),
    keepLast: field(o, "keep_last", "number", what, 0),
    ttl: field(o, "ttl", "string", what, ""),
    enabled: field(o, "enabled", "boolean", what),
    namePrefix: field(o, "name_prefix", "string", what, ""),
  };
}

export function parseSnapshotPolicies(value: unknown): SnapshotPolicy[] {
  return array(value, "snapshot policy list").map((item, i) => parseSnapshotPolicy(item, `snapshot policy[${i}]`));
}

/** A metadata or block store as `GET /store/metadata` and `GET /store/block/local` list it. */
export interface Store {
  /** What shares name the store by (`metadata_store_id`, `local_block_store_id`). */
  id: string;
  name: string;
  type: string;
  /** The type-specific settings, e.g. `{path}`; {} when the server reports none. */
  config: Record<string, unknown>;
}

/** Body of `POST /store/metadata` and `POST /store/block/local` (PUT takes type and config): config as a JSON string. */
export interface StoreBody {
  name: string;
  type: string;
  config: string;
}

export function parseStore(value: unknown, what = "store"): Store {
  const o = object(value, what);
  return {
    id: field(o, "id", "string", what),
    name: field(o, "name", "string", what),
    type: field(o, "type", "string", what),
    config: o.config === undefined || o.config === null ? {} : object(o.config, `${what}.config`),
  };
}

export function parseStores(value: unknown): Store[] {
  return array(value, "store list").map((item, i) => parseStore(item, `store[${i}]`));
}

/** The stores a share uses, by id. */
export interface ShareStores {
  name: string;
  metadataStoreId: string;
  localBlockStoreId: string;
}

export function parseShareStores(value: unknown): ShareStores[] {
  return array(value, "share list").map((item, i) => {
    const what = `share[${i}]`;
    const o = object(item, what);
    return { name: field(o, "name", "string", what), metadataStoreId: field(o, "metadata_store_id", "string", what, ""), localBlockStoreId: field(o, "local_block_store_id", "string", what, "") };
  });
}
