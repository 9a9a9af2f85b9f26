/**
 * Failures of the DittoFS REST API, classified once so every caller handles them the same way
 * (`dittofs-server.md` §10): the status first, then the body — RFC 7807 problem+json from handlers, plain text
 * from the auth middleware.
 *
 * Safe by construction: an error carries the method, the path template's values the client built itself, the
 * status and the server's own title/detail with every credential the request carried cut out. It never holds the
 * request body or headers, so logging or putting it in a condition cannot leak a password or a token.
 */

export type DittoFsErrorKind =
  /** 401: the token or the password is not (or no longer) good; refresh, log in again or re-provision. */
  | "unauthorized"
  /** 403: the account lacks the role, or is disabled. Terminal: retrying does not help. */
  | "forbidden"
  /** 403 from the must-change gate: only `POST /users/me/password` is allowed with this token. */
  | "mustChangePassword"
  | "notFound"
  | "conflict"
  /** Any other 4xx: the request is wrong (validation); terminal until the input changes. */
  | "rejected"
  /** TLS handshake or certificate verification failed, or the server wants a client certificate. */
  | "tls"
  /** 5xx, 429, timeouts, refused or reset connections, an unparsable success body: try again later. */
  | "transient";

const MUST_CHANGE_TEXT = /must set a new password/i;
const MAX_DETAIL = 300;

/** Error codes of Node's TLS layer and OpenSSL that mean "the handshake or the certificates are wrong". */
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL_)/;

export class DittoFsError extends Error {
  override readonly name = "DittoFsError";
  readonly kind: DittoFsErrorKind;
  /** HTTP status, 0 when no response arrived. */
  readonly status: number;
  readonly method: string;
  readonly path: string;
  /** The server's `code` field of a problem, or Node's error code for a network failure. */
  readonly code: string | undefined;

  constructor(kind: DittoFsErrorKind, status: number, method: string, path: string, message: string, code?: string) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.method = method;
    this.path = path;
    this.code = code;
  }

  /** Worth retrying with back-off (the caller's back-off; the client never retries by itself). */
  get transient(): boolean {
    return this.kind === "transient";
  }
}

/** Replaces every credential the request carried by `[redacted]` (longest first, so no fragment survives). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join("[redacted]");
  }
  return out;
}

interface Problem {
  title?: unknown;
  detail?: unknown;
  code?: unknown;
}

/** The server's words for a failure: `title: detail` of a problem, or the first line of a text body. */
export function describeBody(contentType: string | undefined, body: string): { text: string; code?: string } {
  if (contentType?.toLowerCase().includes("json")) {
    try {
      const problem = JSON.parse(body) as Problem;
      const parts = [problem.title, problem.detail].filter((p): p is string => typeof p === "string" && p !== "");
      if (parts.length > 0) return { text: parts.join(": "), ...(typeof problem.code === "string" ? { code: problem.code } : {}) };
    } catch {
      // Not the JSON it claims to be: fall through to the raw text.
    }
  }
  return { text: body.trim().split("\n")[0] ?? "" };
}

function kindOfStatus(status: number, text: string): DittoFsErrorKind {
  if (status === 401) return "unauthorized";
  if (status === 403) return MUST_CHANGE_TEXT.test(text) ? "mustChangePassword" : "forbidden";
  if (status === 404) return "notFound";
  if (status === 409) return "conflict";
  if (status === 429 || status >= 500) return "transient";
  return "rejected";
}

/** The error for a non-2xx answer. */
export function httpError(method: string, path: string, status: number, contentType: string | undefined, body: string, secrets: readonly string[]): DittoFsError {
  const described = describeBody(contentType, body);
  const text = redact(described.text, secrets).slice(0, MAX_DETAIL);
  const kind = kindOfStatus(status, text);
  return new DittoFsError(kind, status, method, path, `DittoFS API ${method} ${path}: HTTP ${status}${text ? `: ${text}` : ""}`, described.code);
}

/** The error for a request that got no (usable) answer: network, TLS, timeout, abort. */
export function transportError(method: string, path: string, err: unknown, secrets: readonly string[]): DittoFsError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = redact(e instanceof Error ? e.message : String(err), secrets).slice(0, MAX_DETAIL);
  const tls = code !== undefined && TLS_CODES.test(code);
  return new DittoFsError(tls ? "tls" : "transient", 0, method, path, `DittoFS API ${method} ${path}: ${message}`, code);
}

/** The error for a 2xx answer whose body is not what the API documents. */
export function invalidResponse(method: string, path: string, status: number, why: string): DittoFsError {
  return new DittoFsError("transient", status, method, path, `DittoFS API ${method} ${path}: HTTP ${status} with an unexpected body (${why})`);
}

export function isDittoFsError(err: unknown, ...kinds: DittoFsErrorKind[]): err is DittoFsError {
  return err instanceof DittoFsError && (kinds.length === 0 || kinds.includes(err.kind));
}
