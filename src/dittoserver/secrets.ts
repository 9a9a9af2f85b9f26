/**
 * Secrets the operator generates when the user references none: the JWT signing key and the initial `admin`
 * password. Randomness is an input (the reconciler passes `crypto.randomBytes`), so the builders stay pure.
 * Generated data is never overwritten: `generatedSecretAction` returns what to create when the Secret is
 * absent, only the missing keys when someone removed one, and nothing otherwise.
 */
import type { DittoServer } from "../api/types.ts";
import type { KubeObject } from "../runtime/objects.ts";
import { childMetadata, COMPONENTS } from "./labels.ts";
import { childNames, GENERATED_KEYS } from "./names.ts";

/** Random bytes behind a JWT secret: base64url of 32 bytes is 43 characters, above the server's 32 minimum. */
export const JWT_SECRET_BYTES = 32;
/** Random bytes behind the admin password: 24 base64url characters. */
export const ADMIN_PASSWORD_BYTES = 18;
/** The server's built-in admin account; its name is not configurable. */
export const ADMIN_USERNAME = "admin";

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

function requireBytes(random: Uint8Array, needed: number, what: string): string {
  if (random.length < needed) throw new Error(`${what} needs ${needed} random bytes, got ${random.length}`);
  return Buffer.from(random.subarray(0, needed)).toString("base64url");
}

function generatedSecret(server: DittoServer, name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: childMetadata(server, name, COMPONENTS.credentials),
    type: "Opaque",
    // `data` (base64) rather than `stringData`: what we send is byte-for-byte what we later read and compare.
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, base64(v)])),
  };
}

/** `<name>-jwt-secret`, or undefined when the spec references the user's own JWT Secret. */
export function desiredJwtSecret(server: DittoServer, random: Uint8Array): KubeObject | undefined {
  if (server.spec.identity?.jwt?.secretRef) return undefined;
  const value = requireBytes(random, JWT_SECRET_BYTES, "JWT secret");
  return generatedSecret(server, childNames(server.metadata.name ?? "").jwtSecret, { [GENERATED_KEYS.jwtSecret]: value });
}

/** `<name>-admin-bootstrap-credentials`, or undefined when the spec references the user's admin password. */
export function desiredAdminSecret(server: DittoServer, random: Uint8Array): KubeObject | undefined {
  if (server.spec.identity?.admin?.passwordSecretRef) return undefined;
  const password = requireBytes(random, ADMIN_PASSWORD_BYTES, "admin password");
  return generatedSecret(server, childNames(server.metadata.name ?? "").adminSecret, {
    [GENERATED_KEYS.adminUsername]: ADMIN_USERNAME,
    [GENERATED_KEYS.adminPassword]: password,
  });
}

export type GeneratedSecretAction =
  | { action: "none" }
  /** POST the object; a 409 AlreadyExists means another writer won the race and is success. */
  | { action: "create"; object: KubeObject }
  /**
   * JSON merge patch adding only the absent keys (`{data: {...}}`). Existing keys, whatever their value and
   * whoever wrote them, are never touched.
   */
  | { action: "addKeys"; patch: { data: Record<string, string> }; keys: string[] };

/**
 * What to do about a generated Secret given the observed one. Not server-side apply: applying would make the
 * operator's freshly generated value win over the stored one on every pass.
 */
export function generatedSecretAction(desired: KubeObject | undefined, observed: KubeObject | undefined): GeneratedSecretAction {
  if (!desired) return { action: "none" };
  if (!observed) return { action: "create", object: desired };
  const have = (observed.data ?? {}) as Record<string, string | undefined>;
  const want = (desired.data ?? {}) as Record<string, string>;
  const missing = Object.keys(want).filter((key) => have[key] === undefined || have[key] === "");
  if (missing.length === 0) return { action: "none" };
  return { action: "addKeys", patch: { data: Object.fromEntries(missing.map((k) => [k, want[k]!])) }, keys: missing };
}
