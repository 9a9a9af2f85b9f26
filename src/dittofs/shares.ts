/**
 * The share calls of the DittoFS REST API (all admin-only, `/api/v1/shares…`), built on a client's `call`: the
 * share itself, its enabled state, its user and group grants, and its NFS squash. Share names go into paths
 * encoded (`/export` → `%2Fexport`); the server normalises them to exactly one leading `/`.
 */
import type { CallOptions, DittoFsClient } from "./client.ts";
import { segment } from "./client.ts";
import { isDittoFsError } from "./errors.ts";
import { array, field, object } from "./wire.ts";

export interface Share {
  id: string;
  name: string;
  /** Store ids (the server answers ids even when created by name). */
  metadataStoreId: string;
  localBlockStoreId: string;
  remoteBlockStoreId: string | undefined;
  readOnly: boolean;
  enabled: boolean;
  defaultPermission: string;
}

/** Body of `POST /shares`: stores by name. */
export interface CreateShareBody {
  name: string;
  metadata_store_id: string;
  local_block_store: string;
  remote_block_store?: string;
  read_only: boolean;
  default_permission: string;
}

/** Body of `PUT /shares/{name}`: only the fields to change. */
export interface UpdateShareBody {
  read_only?: boolean;
  default_permission?: string;
}

export type GrantKind = "user" | "group";

/** One entry of `GET /shares/{name}/permissions` (`sid` entries are direct directory grants). */
export interface ShareGrant {
  type: string;
  name: string;
  level: string;
}

export function parseShare(value: unknown, what = "share"): Share {
  const o = object(value, what);
  const remote = o.remote_block_store_id;
  return {
    id: field(o, "id", "string", what),
    name: field(o, "name", "string", what),
    metadataStoreId: field(o, "metadata_store_id", "string", what, ""),
    localBlockStoreId: field(o, "local_block_store_id", "string", what, ""),
    remoteBlockStoreId: typeof remote === "string" && remote !== "" ? remote : undefined,
    readOnly: field(o, "read_only", "boolean", what, false),
    enabled: field(o, "enabled", "boolean", what, true),
    defaultPermission: field(o, "default_permission", "string", what, ""),
  };
}

export function parseGrants(value: unknown): ShareGrant[] {
  // The server answers `null` for a share without grants.
  if (value === null || value === undefined) return [];
  return array(value, "permission list").map((item, i) => {
    const what = `permission[${i}]`;
    const o = object(item, what);
    return { type: field(o, "type", "string", what), name: field(o, "name", "string", what), level: field(o, "level", "string", what) };
  });
}

const path = (share: string, rest = ""): string => `/shares/${segment(share)}${rest}`;
const GRANT_PATH = { user: "users", group: "groups" } as const;

/** The share calls over one client; a fake implements the same interface in unit tests. */
export interface ShareApi {
  /** Undefined when there is no such share (404). */
  getShare(token: string, name: string, options?: CallOptions): Promise<Share | undefined>;
  /** 400 (kind `rejected`) for an unknown store or value, 409 (kind `conflict`) when the name is taken. */
  createShare(token: string, body: CreateShareBody, options?: CallOptions): Promise<Share>;
  updateShare(token: string, name: string, body: UpdateShareBody, options?: CallOptions): Promise<void>;
  setShareEnabled(token: string, name: string, enabled: boolean, options?: CallOptions): Promise<void>;
  /** 404 (kind `notFound`) when the share is gone. */
  deleteShare(token: string, name: string, options?: CallOptions): Promise<void>;
  listGrants(token: string, name: string, options?: CallOptions): Promise<ShareGrant[]>;
  /** 404 (kind `notFound`) when the user or group does not exist (or the share). */
  setGrant(token: string, name: string, kind: GrantKind, principal: string, level: string, options?: CallOptions): Promise<void>;
  removeGrant(token: string, name: string, kind: GrantKind, principal: string, options?: CallOptions): Promise<void>;
  /** The share's NFS squash mode ("" when never set: the server's default). */
  getSquash(token: string, name: string, options?: CallOptions): Promise<string>;
  setSquash(token: string, name: string, squash: string, options?: CallOptions): Promise<void>;
}


export function shareApi(client: Pick<DittoFsClient, "call">): ShareApi {
  const none = (): undefined => undefined;
  return {
    async getShare(token, name, options = {}) {
      try {
        return await client.call({ method: "GET", path: path(name), token, parse: (b) => parseShare(b), ...options });
      } catch (err) {
        if (isDittoFsError(err, "notFound")) return undefined;
        throw err;
      }
    },
    createShare: (token, body, options = {}) => client.call({ method: "POST", path: "/shares", token, body, parse: (b) => parseShare(b), ...options }),
    updateShare: (token, name, body, options = {}) => client.call({ method: "PUT", path: path(name), token, body, parse: none, ...options }),
    setShareEnabled: (token, name, enabled, options = {}) => client.call({ method: "POST", path: path(name, enabled ? "/enable" : "/disable"), token, parse: none, ...options }),
    deleteShare: (token, name, options = {}) => client.call({ method: "DELETE", path: path(name), token, parse: none, ...options }),
    listGrants: (token, name, options = {}) => client.call({ method: "GET", path: path(name, "/permissions"), token, parse: parseGrants, ...options }),
    setGrant: (token, name, kind, principal, level, options = {}) =>
      client.call({ method: "PUT", path: path(name, `/permissions/${GRANT_PATH[kind]}/${segment(principal)}`), token, body: { level }, parse: none, ...options }),
    removeGrant: (token, name, kind, principal, options = {}) =>
      client.call({ method: "DELETE", path: path(name, `/permissions/${GRANT_PATH[kind]}/${segment(principal)}`), token, parse: none, ...options }),
    getSquash: (token, name, options = {}) =>
      client.call({ method: "GET", path: path(name, "/adapters/nfs/config"), token, parse: (b) => field<string>(object(b, "nfs config"), "squash", "string", "nfs config", ""), ...options }),
    setSquash: (token, name, squash, options = {}) => client.call({ method: "PATCH", path: path(name, "/adapters/nfs/config"), token, body: { squash }, parse: none, ...options }),
  };
}
