/**
 * The operator's own DittoFS account: which step to take with what is stored (pure), and one bounded walk
 * through those steps against a server.
 *
 * Role: snapshot policies and NFS (portmapper) settings are admin-only on v0.29.0, so the operator's account has
 * role `admin` (the reference's `operator` role got 403 on both, defect 3). The server creates an admin-role user,
 * and resets its password, with `must_change_password` set; the account clears it at once with the exempt
 * `POST /users/me/password`, setting the same password it was given (the server does not forbid reuse).
 *
 * The name is the reference's, so a server migrated from it keeps one operator account: the first provisioning
 * finds it (409), raises it to admin, enables it and gives it a new password.
 *
 * Bounded: one `ensureAccount` makes at most refresh → login → admin login → create (or update + reset) → login →
 * own-password change, each once. A refused credential is never retried in the same walk; across passes the caller
 * gates retries with ./backoff.ts.
 */
import { DittoFsError, isDittoFsError } from "./errors.ts";
import type { DittoFsClient } from "./client.ts";
import type { Session } from "./wire.ts";

export const OPERATOR_USERNAME = "k8s-operator";
export const OPERATOR_ROLE = "admin";
/** The bootstrap account the operator provisions with; the server always names it `admin`. */
export const ADMIN_USERNAME = "admin";

/** Keys of the operator-credentials Secret. The reference's `server-url` is neither read nor written (defect 16). */
export const ACCOUNT_KEYS = {
  username: "username",
  password: "password",
  accessToken: "access-token",
  refreshToken: "refresh-token",
} as const;

export interface Account {
  username: string;
  password: string;
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
}

/** Refresh when less than this share of the access token's life is left (the reference refreshed at 80 %). */
export const REFRESH_AT_REMAINING = 0.2;

/** The calls the walk makes; a DittoFsClient, or a script of answers in unit tests. */
export type AccountApi = Pick<DittoFsClient, "login" | "refresh" | "changeOwnPassword" | "createUser" | "updateUser" | "resetPassword">;

/** The account stored in a Secret's (decoded) data; undefined when the Secret lacks a username or password. */
export function accountFromSecretData(data: Readonly<Record<string, string>> | undefined): Account | undefined {
  const username = data?.[ACCOUNT_KEYS.username];
  const password = data?.[ACCOUNT_KEYS.password];
  if (!username || !password) return undefined;
  return { username, password, accessToken: data[ACCOUNT_KEYS.accessToken] || undefined, refreshToken: data[ACCOUNT_KEYS.refreshToken] || undefined };
}

/** The Secret data (not base64) for an account; compare with the stored data to write only on change. */
export function accountSecretData(account: Account): Record<string, string> {
  return {
    [ACCOUNT_KEYS.username]: account.username,
    [ACCOUNT_KEYS.password]: account.password,
    ...(account.accessToken ? { [ACCOUNT_KEYS.accessToken]: account.accessToken } : {}),
    ...(account.refreshToken ? { [ACCOUNT_KEYS.refreshToken]: account.refreshToken } : {}),
  };
}

export function sameAccount(a: Account | undefined, b: Account | undefined): boolean {
  return a?.username === b?.username && a?.password === b?.password && a?.accessToken === b?.accessToken && a?.refreshToken === b?.refreshToken;
}

/**
 * `iat` and `exp` of a JWT in epoch ms, read without verification: only to schedule the refresh (the server
 * verifies the token, not us). Undefined for anything that is not a JWT with numeric claims.
 */
export function tokenTimes(token: string | undefined): { issuedAt: number; expiresAt: number } | undefined {
  const payload = token?.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iat?: unknown; exp?: unknown };
    if (typeof claims.exp !== "number" || typeof claims.iat !== "number") return undefined;
    return { issuedAt: claims.iat * 1000, expiresAt: claims.exp * 1000 };
  } catch {
    return undefined;
  }
}

function usable(token: string | undefined, now: number, remaining: number): boolean {
  const times = tokenTimes(token);
  if (!times) return false;
  return now < times.expiresAt - (times.expiresAt - times.issuedAt) * remaining;
}

/** First step for the stored account at `now`. */
export type Step =
  | { kind: "use"; token: string }
  | { kind: "refresh"; refreshToken: string }
  | { kind: "login" }
  | { kind: "provision" };

export function firstStep(account: Account | undefined, now: number): Step {
  if (!account) return { kind: "provision" };
  if (account.accessToken && usable(account.accessToken, now, REFRESH_AT_REMAINING)) return { kind: "use", token: account.accessToken };
  if (account.refreshToken && usable(account.refreshToken, now, 0)) return { kind: "refresh", refreshToken: account.refreshToken };
  return { kind: "login" };
}

/** When the stored access token should be refreshed (epoch ms), for the caller's requeue; undefined if unknown. */
export function refreshDueAt(account: Account | undefined): number | undefined {
  const times = tokenTimes(account?.accessToken);
  return times ? times.expiresAt - (times.expiresAt - times.issuedAt) * REFRESH_AT_REMAINING : undefined;
}

export interface EnsureInput {
  /** What the credentials Secret holds, if anything. */
  account: Account | undefined;
  /** The bootstrap admin password (the generated Secret's, or the user's); used only to (re-)provision. */
  adminPassword: string;
  now: number;
  /** A fresh random password for (re-)provisioning. */
  newPassword: () => string;
  signal?: AbortSignal | undefined;
}

/** Why authentication failed in a way that retrying now cannot fix; each names what to look at. */
export type FailureCause =
  /** The bootstrap admin password was refused (wrong Secret, or admin's password was changed through the API). */
  | "adminRefused"
  /** The server refused an operation with 403 (admin disabled, a role missing, must-change for admin itself). */
  | "forbidden"
  /** TLS failed: the certificate does not verify for the Service name, or the server wants a client certificate. */
  | "tls"
  /** The server rejected a request as invalid, or answered in a way the operator does not understand. */
  | "rejected";

export type EnsureResult =
  | {
      kind: "authenticated";
      /** The access token to use for this pass. */
      token: string;
      account: Account;
      /** The account differs from the input: write the Secret. */
      changed: boolean;
      /** The account was created or taken over in this walk (event `AuthProvisioned`). */
      provisioned: boolean;
    }
  /** The API did not answer usefully (network, 5xx, timeout): back off and try again. */
  | { kind: "unreachable"; error: DittoFsError }
  /** Terminal until something changes; `message` is safe for a condition (no credential in it). */
  | { kind: "failed"; cause: FailureCause; message: string; error: DittoFsError };

class Stop extends Error {
  readonly result: EnsureResult;
  constructor(result: EnsureResult) {
    super(result.kind);
    this.result = result;
  }
}

function fail(cause: FailureCause, message: string, error: DittoFsError): never {
  throw new Stop({ kind: "failed", cause, message: `${message}: ${error.message}`, error });
}

/** Turns a failure the walk cannot route around into its result. */
function terminal(err: unknown, what: string): never {
  if (err instanceof Stop) throw err;
  if (!(err instanceof DittoFsError)) throw err;
  if (err.transient) throw new Stop({ kind: "unreachable", error: err });
  if (err.kind === "tls") fail("tls", `${what}: TLS failed`, err);
  if (err.kind === "forbidden" || err.kind === "mustChangePassword") fail("forbidden", `${what} refused`, err);
  fail("rejected", `${what} failed`, err);
}

/** Makes sure the operator holds a working admin-role session, provisioning or repairing its account if needed. */
export async function ensureAccount(api: AccountApi, input: EnsureInput): Promise<EnsureResult> {
  const { account, signal } = input;
  const done = (session: Session, password: string, provisioned: boolean): EnsureResult => {
    const next: Account = { username: session.user.username, password, accessToken: session.accessToken, refreshToken: session.refreshToken };
    return { kind: "authenticated", token: session.accessToken, account: next, changed: !sameAccount(account, next), provisioned };
  };
  try {
    const step = firstStep(account, input.now);
    if (step.kind === "use") return { kind: "authenticated", token: step.token, account: account!, changed: false, provisioned: false };
    if (account) {
      const session = await existingSession(api, account, step, signal);
      if (session) return done(session, account.password, false);
    }
    const password = input.newPassword();
    return done(await provision(api, input.adminPassword, password, signal), password, true);
  } catch (err) {
    if (err instanceof Stop) return err.result;
    throw err;
  }
}

/**
 * A session for the stored account by refresh or login, or undefined when the account itself no longer works
 * (wrong password, disabled, deleted, not admin): then it is provisioned again.
 */
async function existingSession(api: AccountApi, account: Account, step: Step, signal: AbortSignal | undefined): Promise<Session | undefined> {
  let session: Session | undefined;
  if (step.kind === "refresh") {
    try {
      session = await api.refresh(step.refreshToken, { signal });
    } catch (err) {
      // An expired or revoked refresh token, or a disabled account: a login says which.
      if (!isDittoFsError(err, "unauthorized", "forbidden")) terminal(err, "token refresh");
    }
  }
  if (!session) {
    try {
      session = await api.login(account.username, account.password, { signal });
    } catch (err) {
      if (isDittoFsError(err, "unauthorized", "forbidden")) return undefined;
      terminal(err, `login as ${account.username}`);
    }
  }
  if (session.user.role !== OPERATOR_ROLE) return undefined;
  return clearMustChange(api, session, account.password, signal);
}

async function clearMustChange(api: AccountApi, session: Session, password: string, signal: AbortSignal | undefined): Promise<Session> {
  if (!session.user.mustChangePassword) return session;
  try {
    return await api.changeOwnPassword(session.accessToken, password, undefined, { signal });
  } catch (err) {
    terminal(err, `clearing must-change-password of ${session.user.username}`);
  }
}

async function provision(api: AccountApi, adminPassword: string, password: string, signal: AbortSignal | undefined): Promise<Session> {
  let admin: Session;
  try {
    admin = await api.login(ADMIN_USERNAME, adminPassword, { signal });
  } catch (err) {
    if (isDittoFsError(err, "unauthorized")) fail("adminRefused", "the bootstrap admin password was refused", err);
    terminal(err, "admin login");
  }
  if (admin.user.mustChangePassword) {
    // Only a server-generated admin password carries the flag; the operator always sets one, so someone else did this.
    throw new Stop({
      kind: "failed",
      cause: "forbidden",
      message: "the admin account must change its password before it can provision the operator account",
      error: new DittoFsError("mustChangePassword", 200, "POST", "/api/v1/auth/login", "admin must change its password"),
    });
  }
  try {
    await api.createUser(admin.accessToken, { username: OPERATOR_USERNAME, password, role: OPERATOR_ROLE }, { signal });
  } catch (err) {
    if (!isDittoFsError(err, "conflict")) terminal(err, `creating user ${OPERATOR_USERNAME}`);
    try {
      await api.updateUser(admin.accessToken, OPERATOR_USERNAME, { role: OPERATOR_ROLE, enabled: true }, { signal });
      await api.resetPassword(admin.accessToken, OPERATOR_USERNAME, password, { signal });
    } catch (inner) {
      terminal(inner, `taking over user ${OPERATOR_USERNAME}`);
    }
  }
  let session: Session;
  try {
    session = await api.login(OPERATOR_USERNAME, password, { signal });
  } catch (err) {
    terminal(err, `login as ${OPERATOR_USERNAME} after provisioning`);
  }
  return clearMustChange(api, session, password, signal);
}
