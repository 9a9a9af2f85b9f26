import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { FakeClock } from "../../../src/runtime/clock.ts";
import { createRequestAuthorizer, SUBJECT_ACCESS_REVIEWS_PATH, TOKEN_REVIEWS_PATH } from "../../../src/runtime/metrics-auth.ts";
import type { PostReview, RequestAuthorizer } from "../../../src/runtime/metrics-auth.ts";
import { startMetricsServer } from "../../../src/runtime/servers.ts";
import { readServingCertificate, selfSignedCertificate } from "../../../src/runtime/serving-cert.ts";

/** An API server stand-in for reviews: tokens map to users, `allowed` lists who may get /metrics. */
function reviews(users: Record<string, string>, allowed: string[]): { post: PostReview; sent: { path: string; body: Record<string, unknown> }[] } {
  const sent: { path: string; body: Record<string, unknown> }[] = [];
  const post: PostReview = (path, body) => {
    const b = body as { spec: Record<string, unknown> };
    sent.push({ path, body: b.spec });
    if (path === TOKEN_REVIEWS_PATH) {
      const user = users[b.spec.token as string];
      return Promise.resolve({ status: user ? { authenticated: true, user: { username: user, groups: ["system:authenticated"] } } : { authenticated: false, error: "invalid bearer token" } });
    }
    const attrs = b.spec.nonResourceAttributes as { path: string; verb: string };
    const ok = allowed.includes(b.spec.user as string) && attrs.path === "/metrics" && attrs.verb === "get";
    return Promise.resolve({ status: { allowed: ok } });
  };
  return { post, sent };
}

describe("createRequestAuthorizer", () => {
  it("401 without a token or with one the API server rejects, 403 without the permission, 200 with it", async () => {
    const api = reviews({ "t-reader": "reader", "t-other": "other" }, ["reader"]);
    const auth = createRequestAuthorizer({ post: api.post, clock: new FakeClock() });
    assert.equal((await auth.authorize(undefined, "get", "/metrics")).code, 401);
    assert.equal((await auth.authorize("Basic dXNlcjpwdw==", "get", "/metrics")).code, 401);
    assert.equal((await auth.authorize("Bearer nope", "get", "/metrics")).code, 401);
    const denied = await auth.authorize("Bearer t-other", "get", "/metrics");
    assert.deepEqual(denied, { code: 403, reason: 'Forbidden: user "other" may not get /metrics' });
    assert.equal((await auth.authorize("Bearer t-reader", "get", "/metrics")).code, 200);
    assert.equal((await auth.authorize("bearer t-reader", "get", "/other")).code, 403, "the path is part of the review");
    // The review carries the user's identity and the non-resource attributes, never a resource.
    const sar = api.sent.find((s) => s.path === SUBJECT_ACCESS_REVIEWS_PATH && s.body.user === "reader");
    assert.deepEqual(sar?.body, { user: "reader", uid: undefined, groups: ["system:authenticated"], extra: undefined, nonResourceAttributes: { verb: "get", path: "/metrics" } });
  });

  it("asks the API server once per token within the TTL, again after it; denials expire sooner", async () => {
    const clock = new FakeClock();
    const api = reviews({ "t-reader": "reader", "t-other": "other" }, ["reader"]);
    const auth = createRequestAuthorizer({ post: api.post, clock, allowTtlMs: 60_000, denyTtlMs: 10_000 });
    const count = (): number => api.sent.length;
    for (let i = 0; i < 5; i++) assert.equal((await auth.authorize("Bearer t-reader", "get", "/metrics")).code, 200);
    assert.equal(count(), 2, "one TokenReview and one SubjectAccessReview for five scrapes");
    await auth.authorize("Bearer t-other", "get", "/metrics");
    await auth.authorize("Bearer t-other", "get", "/metrics");
    assert.equal(count(), 4);

    await clock.advance(10_001);
    await auth.authorize("Bearer t-other", "get", "/metrics");
    assert.equal(count(), 5, "the denial expired; the accepted token did not");
    await auth.authorize("Bearer t-reader", "get", "/metrics");
    assert.equal(count(), 5);

    await clock.advance(50_000);
    await auth.authorize("Bearer t-reader", "get", "/metrics");
    assert.equal(count(), 7, "both reviews again after a minute");
  });

  it("shares one review between concurrent requests with the same token; does not cache a failed review", async () => {
    let calls = 0;
    let fail = true;
    const api = reviews({ t: "reader" }, ["reader"]);
    const post: PostReview = async (path, body) => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error("connect ECONNREFUSED");
      return api.post(path, body);
    };
    const auth = createRequestAuthorizer({ post, clock: new FakeClock() });
    const results = await Promise.allSettled([1, 2, 3].map(() => auth.authorize("Bearer t", "get", "/metrics")));
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.status === "rejected"));
    fail = false;
    const codes = await Promise.all([1, 2, 3].map(async () => (await auth.authorize("Bearer t", "get", "/metrics")).code));
    assert.deepEqual(codes, [200, 200, 200]);
    assert.equal(calls, 3, "the failure was not cached: one TokenReview and one SubjectAccessReview more");
  });

  it("keeps at most maxEntries tokens", async () => {
    const api = reviews({ a: "u", b: "u", c: "u" }, ["u"]);
    const auth = createRequestAuthorizer({ post: api.post, clock: new FakeClock(), maxEntries: 2 });
    for (const t of ["a", "b", "c", "a"]) await auth.authorize(`Bearer ${t}`, "get", "/metrics");
    assert.equal(api.sent.filter((s) => s.path === TOKEN_REVIEWS_PATH).length, 4, "a was evicted by c and reviewed again");
  });
});

/** GET over a new HTTPS connection trusting only `ca`, with an optional bearer token. */
function get(port: number, path: string, ca: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const req = request({ host: "127.0.0.1", port, path, ca, servername: "localhost", headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject).end();
  });
}

describe("startMetricsServer (secure)", () => {
  const registry = { contentType: "text/plain; version=0.0.4", metrics: () => Promise.resolve("up 1\n") };
  const byToken: RequestAuthorizer = {
    authorize: (header) => Promise.resolve(header === "Bearer good" ? { code: 200, reason: "ok" } : header ? { code: 403, reason: "Forbidden" } : { code: 401, reason: "Unauthorized" }),
  };

  it("serves HTTPS and answers with the authorizer's decision, 401 with a Bearer challenge", async () => {
    const pair = selfSignedCertificate({ commonName: "m", altNames: ["localhost"] });
    const server = await startMetricsServer("127.0.0.1:0", registry, { certificate: () => pair, authorizer: byToken, onReloadError: (err) => { assert.fail(String(err)); } });
    try {
      assert.deepEqual(await get(server!.port, "/metrics", pair.cert, "good"), { status: 200, body: "up 1\n" });
      assert.equal((await get(server!.port, "/metrics", pair.cert, "bad")).status, 403);
      assert.equal((await get(server!.port, "/metrics", pair.cert)).status, 401);
      assert.equal((await get(server!.port, "/elsewhere", pair.cert, "good")).status, 404);
    } finally {
      await server?.close();
    }
  });

  it("picks up a rotated certificate from its directory and keeps the last good one while files are broken", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metrics-cert-"));
    const write = (pair: { cert: string; key: string }): void => {
      writeFileSync(join(dir, "tls.crt"), pair.cert);
      writeFileSync(join(dir, "tls.key"), pair.key);
    };
    const first = selfSignedCertificate({ commonName: "first", altNames: ["localhost"] });
    const second = selfSignedCertificate({ commonName: "second", altNames: ["localhost"] });
    write(first);
    const errors: unknown[] = [];
    const server = await startMetricsServer("127.0.0.1:0", registry, {
      certificate: () => readServingCertificate(dir, "tls.crt", "tls.key"),
      authorizer: byToken,
      reloadIntervalMs: 20,
      onReloadError: (err) => errors.push(err),
    });
    try {
      assert.equal((await get(server!.port, "/metrics", first.cert, "good")).status, 200);
      rmSync(join(dir, "tls.key"));
      await new Promise((r) => setTimeout(r, 60));
      assert.ok(errors.length > 0, "the broken pair was reported");
      assert.equal((await get(server!.port, "/metrics", first.cert, "good")).status, 200, "still the first certificate");
      write(second);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal((await get(server!.port, "/metrics", second.cert, "good")).status, 200, "now the second");
      await assert.rejects(get(server!.port, "/metrics", first.cert, "good"), /self[- ]signed|unable to verify|certificate/i);
    } finally {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
