/**
 * Who may read `/metrics`, decided by the API server as controller-runtime's secure metrics filter does: the bearer
 * token is authenticated with a TokenReview, and its user authorized with a SubjectAccessReview on the non-resource
 * URL (`get /metrics`). Answers: 401 without a valid token, 403 without the permission (the
 * `…-metrics-reader` ClusterRole grants it), 200 otherwise.
 *
 * Reviews are cached per token for a short while (keyed by its SHA-256, never the token itself), and concurrent
 * requests with the same token share one review, so a scrape every few seconds costs the API server two requests a
 * minute, not two per scrape. A review that fails (API server unreachable) is answered 500 and not cached.
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { realClock, type Clock } from "./clock.ts";
import { errorMessage } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { SecureMetricsServing } from "./servers.ts";
import { readServingCertificate, selfSignedCertificate, type ServingCertificate } from "./serving-cert.ts";

export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** POST a review object to its collection and return the answer (KubeClient.requestJson does). */
export type PostReview = (path: string, body: object) => Promise<unknown>;

export interface Decision {
  code: 200 | 401 | 403;
  /** Why, for the response body and the log; never contains the token. */
  reason: string;
}

export interface RequestAuthorizer {
  authorize(authorizationHeader: string | undefined, verb: string, path: string): Promise<Decision>;
}

export interface AuthorizerOptions {
  post: PostReview;
  clock?: Clock;
  /** How long an accepted token / an allowed user is trusted (controller-runtime: 1 min). */
  allowTtlMs?: number;
  /** How long a rejected token / a denied user stays rejected without asking again. */
  denyTtlMs?: number;
  /** Most cached entries of each kind; the oldest go first. */
  maxEntries?: number;
}

export const TOKEN_REVIEWS_PATH = "/apis/authentication.k8s.io/v1/tokenreviews";
export const SUBJECT_ACCESS_REVIEWS_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

interface Entry<T> {
  value: Promise<T>;
  expiresAt: number;
}

/** A TTL cache whose entries are promises: concurrent callers of the same key share one lookup. */
class ReviewCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly ttl: (value: T) => number;

  constructor(clock: Clock, maxEntries: number, ttl: (value: T) => number) {
    this.clock = clock;
    this.maxEntries = maxEntries;
    this.ttl = ttl;
  }

  get(key: string, lookup: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    this.entries.delete(key);
    const value = lookup();
    // Pending lookups never expire; a settled one lives for its TTL; a failed one is dropped.
    const entry: Entry<T> = { value, expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    value.then(
      (v) => {
        entry.expiresAt = this.clock.now() + this.ttl(v);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }
}

type Authentication = { user: ReviewedUser } | { error: string };

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

export function createRequestAuthorizer(opts: AuthorizerOptions): RequestAuthorizer {
  const clock = opts.clock ?? realClock;
  const allowTtl = opts.allowTtlMs ?? 60_000;
  const denyTtl = opts.denyTtlMs ?? 10_000;
  const max = opts.maxEntries ?? 1024;
  const tokens = new ReviewCache<Authentication>(clock, max, (a) => ("user" in a ? allowTtl : denyTtl));
  const access = new ReviewCache<{ allowed: boolean; reason: string }>(clock, max, (a) => (a.allowed ? allowTtl : denyTtl));

  const authenticate = async (token: string): Promise<Authentication> => {
    const review = (await opts.post(TOKEN_REVIEWS_PATH, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token },
    })) as { status?: { authenticated?: boolean; user?: ReviewedUser; error?: string } };
    const status = review.status ?? {};
    return status.authenticated && status.user ? { user: status.user } : { error: status.error || "token not authenticated" };
  };

  const review = async (user: ReviewedUser, verb: string, path: string): Promise<{ allowed: boolean; reason: string }> => {
    const answer = (await opts.post(SUBJECT_ACCESS_REVIEWS_PATH, {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { verb, path } },
    })) as { status?: { allowed?: boolean; reason?: string } };
    return { allowed: answer.status?.allowed === true, reason: answer.status?.reason ?? "" };
  };

  return {
    async authorize(header, verb, path) {
      const token = bearerToken(header);
      if (!token) return { code: 401, reason: "Unauthorized: a bearer token is required" };
      const tokenKey = createHash("sha256").update(token).digest("hex");
      const authn = await tokens.get(tokenKey, () => authenticate(token));
      if ("error" in authn) return { code: 401, reason: "Unauthorized: the token was not accepted" };
      const { user } = authn;
      const accessKey = JSON.stringify([user.username, user.uid, user.groups, user.extra, verb, path]);
      const decision = await access.get(accessKey, () => review(user, verb, path));
      if (!decision.allowed) return { code: 403, reason: `Forbidden: user "${user.username}" may not ${verb} ${path}` };
      return { code: 200, reason: `allowed: ${user.username}` };
    },
  };
}

export interface SecureMetricsOptions {
  /** Directory of the serving certificate (a mounted kubernetes.io/tls Secret); absent or "" = self-signed. */
  metricsCertPath?: string | undefined;
  metricsCertName?: string | undefined;
  metricsCertKey?: string | undefined;
}

/**
 * HTTPS and API-server authorization for the metrics server: the certificate from `metricsCertPath` (re-read when
 * it rotates), or one self-signed when first asked for; reviews sent with the manager's own client.
 */
export function secureMetricsServing(
  client: { requestJson(method: string, path: string, spec: { body: object }): Promise<unknown> },
  logger: Logger,
  opts: SecureMetricsOptions,
): SecureMetricsServing {
  const dir = opts.metricsCertPath;
  let selfSigned: ServingCertificate | undefined;
  const certificate = dir
    ? () => readServingCertificate(dir, opts.metricsCertName ?? "tls.crt", opts.metricsCertKey ?? "tls.key")
    : () => {
        if (!selfSigned) {
          selfSigned = selfSignedCertificate({ commonName: "dittofs-operator-metrics", altNames: [hostname(), "localhost", "127.0.0.1", "::1"] });
          logger.info("metrics served over HTTPS with a self-signed certificate (no --metrics-cert-path)");
        }
        return selfSigned;
      };
  return {
    certificate,
    authorizer: createRequestAuthorizer({
      post: (path, body) =>
        client.requestJson("POST", path, { body }).catch((err: unknown) => {
          // Answered 500; say why where an operator looks (a 403 here means the ClusterRole lacks the review rules).
          logger.warn({ error: errorMessage(err), path }, "metrics request not reviewed: the API server review failed");
          throw err;
        }),
    }),
    onReloadError: (err) => {
      logger.warn({ error: errorMessage(err), dir }, "could not re-read the metrics serving certificate; keeping the current one");
    },
  };
}
