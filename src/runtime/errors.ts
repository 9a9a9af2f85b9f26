/**
 * Typed API errors. The API server answers failures with a `Status` object; @kubernetes/client-node's
 * `ApiException.body` is a raw string for most codes, so the transport parses the body itself and throws
 * `ApiError` with the Status fields lifted out.
 */

/** metav1.Status as it arrives on the wire (failure responses and watch ERROR frames). */
export interface Status {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

/** The reason the API server would give for a bare HTTP code (used when the body is not a Status). */
const REASON_BY_CODE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export class ApiError extends Error {
  override readonly name = "ApiError";
  /** HTTP status code (or the Status `code` of a watch ERROR frame). */
  readonly code: number;
  /** Status `reason`: NotFound, AlreadyExists, Conflict, Invalid, Gone, Expired … ("" if unknown). */
  readonly reason: string;
  /** The parsed Status, or the raw text when the body was not JSON. */
  readonly body: Status | string;
  /** Seconds to wait before retrying (429 `Retry-After`, or Status `details.retryAfterSeconds`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: number, reason: string, message: string, body: Status | string, retryAfterSeconds?: number) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.body = body;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get status(): Status | undefined {
    return typeof this.body === "string" ? undefined : this.body;
  }
}

/** Build an ApiError from an HTTP failure: `text` is the raw response body. */
export function apiErrorFromResponse(httpCode: number, text: string, retryAfterHeader?: string | null): ApiError {
  let status: Status | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === "object" && (parsed as Status).kind === "Status") status = parsed;
  } catch {
    // Not JSON (proxies, some aggregated API servers): keep the text.
  }
  const retryAfter = parseRetryAfter(retryAfterHeader) ?? status?.details?.retryAfterSeconds;
  if (status) return apiErrorFromStatus(status, httpCode, retryAfter);
  const reason = REASON_BY_CODE[httpCode] ?? "";
  const snippet = text.length > 512 ? `${text.slice(0, 512)}…` : text;
  return new ApiError(httpCode, reason, `HTTP ${httpCode}${snippet ? `: ${snippet}` : ""}`, text, retryAfter);
}

/** Build an ApiError from a Status (a failure body or a watch ERROR frame). */
export function apiErrorFromStatus(status: Status, fallbackCode = 500, retryAfterSeconds?: number): ApiError {
  const code = typeof status.code === "number" && status.code > 0 ? status.code : fallbackCode;
  const reason = status.reason ?? REASON_BY_CODE[code] ?? "";
  let message = status.message ?? (reason || `HTTP ${code}`);
  // Validation failures put the useful part (which field, which test op) in the causes.
  const causes = (status.details?.causes ?? [])
    .map((c) => [c.field, c.message].filter(Boolean).join(": "))
    .filter((c) => c && !message.includes(c));
  if (causes.length > 0) message += ` (${causes.join("; ")})`;
  return new ApiError(code, reason, message, status, retryAfterSeconds ?? status.details?.retryAfterSeconds);
}

function parseRetryAfter(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

export function isNotFound(err: unknown): boolean {
  return isApiError(err) && (err.code === 404 || err.reason === "NotFound");
}

export function isAlreadyExists(err: unknown): boolean {
  return isApiError(err) && err.reason === "AlreadyExists";
}

/** 409 Conflict: optimistic-concurrency failure (stale resourceVersion) or SSA conflict without force. */
export function isConflict(err: unknown): boolean {
  return isApiError(err) && err.code === 409 && err.reason !== "AlreadyExists";
}

/** 410 Gone / Expired: a resourceVersion or continue token that etcd compacted away. */
export function isGone(err: unknown): boolean {
  return isApiError(err) && (err.code === 410 || err.reason === "Gone" || err.reason === "Expired");
}

export function isInvalid(err: unknown): boolean {
  return isApiError(err) && (err.code === 422 || err.reason === "Invalid");
}

export function isForbidden(err: unknown): boolean {
  return isApiError(err) && err.code === 403;
}

export function isTooManyRequests(err: unknown): boolean {
  return isApiError(err) && err.code === 429;
}

/**
 * A reconcile failure that retrying cannot fix (bad user input already reported through a condition).
 * The controller does not requeue it; the next change event or periodic requeue runs the reconcile again.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
}

export function isTerminalError(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}

/** A short, log-safe description of any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === "string" ? err : JSON.stringify(err);
}
