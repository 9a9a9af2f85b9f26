/**
 * The access token's refresh is scheduled on its own: a poll interval longer than the token's last fifth must not
 * let the token lapse between polls (found against the real server with 10 s tokens and 5 s polls).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextApiPassMs, pollDue } from "../../../src/dittoserver/api-pass.ts";

const NOW = 1_750_000_000_000;

/** An account whose access token was issued at `issuedAt` for `lifetimeMs` (whole seconds, as the server's). */
function account(issuedAt: number, lifetimeMs: number) {
  const payload = Buffer.from(JSON.stringify({ iat: Math.floor(issuedAt / 1000), exp: Math.floor((issuedAt + lifetimeMs) / 1000) })).toString("base64url");
  return { username: "k8s-operator", password: "p", accessToken: `eyJhbGciOiJIUzI1NiJ9.${payload}.sig` };
}

describe("token refresh timing", () => {
  it("pollDue: the refresh is due at 80 % of the token's life even before the next poll", () => {
    const state = { lastPollAt: NOW, account: account(NOW, 10_000) };
    assert.equal(pollDue(state, NOW + 7_999, 30_000, "f"), false);
    assert.equal(pollDue(state, NOW + 8_000, 30_000, "f"), true);
  });

  it("pollDue: the back-off still wins over a due refresh", () => {
    assert.equal(pollDue({ lastPollAt: NOW, account: account(NOW, 10_000), backoff: { failures: 1, retryAt: NOW + 20_000 } }, NOW + 9_000, 30_000, "f"), false);
  });

  it("nextApiPassMs: the earlier of the next poll and the refresh, never under a second", () => {
    assert.equal(nextApiPassMs({ lastPollAt: NOW, account: account(NOW, 10_000) }, NOW, 30_000), 8_000);
    assert.equal(nextApiPassMs({ lastPollAt: NOW, account: account(NOW, 15 * 60_000) }, NOW, 30_000), 30_000, "a long token: the poll comes first");
    assert.equal(nextApiPassMs({ lastPollAt: NOW, account: account(NOW - 60_000, 10_000) }, NOW, 30_000), 1_000, "a refresh overdue: soon, not at once");
    assert.equal(nextApiPassMs({ lastPollAt: NOW, account: { username: "u", password: "p" } }, NOW, 30_000), 30_000, "no token: the poll");
  });
});
