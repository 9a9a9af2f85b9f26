/**
 * The account walk against a scripted API: each call answers what the real server answered in the contract tests
 * (test/contract/dittofs-account.test.ts proves the same paths on dfs v0.29.0). The script records every call, so the
 * tests see how many calls a walk makes and that no refused credential is tried twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { accountFromSecretData, accountSecretData, ensureAccount, firstStep, OPERATOR_USERNAME, refreshDueAt, tokenTimes } from "../../../src/dittofs/account.ts";
import type { Account, AccountApi } from "../../../src/dittofs/account.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { Session } from "../../../src/dittofs/wire.ts";

const NOW = 1_750_000_000_000;

function jwt(issuedAt: number, lifetimeMs: number, tag: string): string {
  const payload = Buffer.from(JSON.stringify({ iat: Math.floor(issuedAt / 1000), exp: Math.floor((issuedAt + lifetimeMs) / 1000), sub: tag })).toString("base64url");
  return `eyJhbGciOiJIUzI1NiJ9.${payload}.sig-${tag}`;
}

function session(tag: string, user: string, role = "admin", mustChangePassword = false): Session {
  return {
    accessToken: jwt(NOW, 15 * 60_000, `a-${tag}`),
    refreshToken: jwt(NOW, 168 * 3600_000, `r-${tag}`),
    expiresAt: NOW + 15 * 60_000,
    user: { username: user, role, enabled: true, mustChangePassword },
  };
}

const err = (kind: DittoFsError["kind"], status: number) => new DittoFsError(kind, status, "POST", "/api/v1/x", `HTTP ${status}`);

type Handler = (...args: unknown[]) => Session | undefined | Error;

/** A scripted API: per method, a queue of answers; `calls` lists the method names in order. */
function script(answers: Partial<Record<keyof AccountApi, Handler[]>>) {
  const calls: string[] = [];
  const api = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ["login", "refresh", "changeOwnPassword", "createUser", "updateUser", "resetPassword"] as const) {
    api[method] = (...args: unknown[]) => {
      calls.push(method === "login" ? `login:${String(args[0])}` : method);
      const next = answers[method]?.shift();
      if (!next) throw new Error(`unexpected call ${method}`);
      const result = next(...args);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    };
  }
  return { api: api as unknown as AccountApi, calls };
}

const input = (account: Account | undefined, now = NOW) => ({ account, adminPassword: "admin-pw", now, newPassword: () => "fresh-pw" });

test("Secret data round trip; a Secret without a password is no account", () => {
  const account = { username: OPERATOR_USERNAME, password: "p", accessToken: "a", refreshToken: "r" };
  assert.deepEqual(accountFromSecretData(accountSecretData(account)), account);
  assert.equal(accountFromSecretData({ username: "x" }), undefined);
  assert.equal(accountFromSecretData(undefined), undefined);
  assert.deepEqual(accountSecretData({ username: "u", password: "p" }), { username: "u", password: "p" });
});

test("token times come from the JWT; refresh is due when 20 % of the life is left", () => {
  const token = jwt(NOW, 15 * 60_000, "x");
  assert.deepEqual(tokenTimes(token), { issuedAt: NOW, expiresAt: NOW + 900_000 });
  assert.equal(tokenTimes("not-a-jwt"), undefined);
  assert.equal(refreshDueAt({ username: "u", password: "p", accessToken: token }), NOW + 720_000);
  const account = { username: "u", password: "p", accessToken: token, refreshToken: jwt(NOW, 3600_000, "r") };
  assert.equal(firstStep(account, NOW + 719_000).kind, "use");
  assert.equal(firstStep(account, NOW + 720_000).kind, "refresh");
  assert.equal(firstStep(account, NOW + 3600_000).kind, "login", "the refresh token expired too");
  assert.equal(firstStep(undefined, NOW).kind, "provision");
});

test("first provisioning: admin login, create as admin, login, clear must-change with the same password", async () => {
  let created: unknown;
  const { api, calls } = script({
    login: [() => session("admin", "admin"), () => session("op0", OPERATOR_USERNAME, "admin", true)],
    createUser: [(_t, user) => ((created = user), undefined)],
    changeOwnPassword: [(_t, pw, current) => (assert.equal(pw, "fresh-pw"), assert.equal(current, undefined), session("op1", OPERATOR_USERNAME))],
  });
  const result = await ensureAccount(api, input(undefined));
  assert.deepEqual(calls, ["login:admin", "createUser", `login:${OPERATOR_USERNAME}`, "changeOwnPassword"]);
  assert.deepEqual(created, { username: OPERATOR_USERNAME, password: "fresh-pw", role: "admin" });
  assert.equal(result.kind, "authenticated");
  if (result.kind !== "authenticated") return;
  assert.equal(result.provisioned, true);
  assert.equal(result.changed, true);
  assert.equal(result.token, session("op1", OPERATOR_USERNAME).accessToken);
  assert.equal(result.account.password, "fresh-pw");
});

test("a valid token makes no call and changes nothing (no Secret write)", async () => {
  const s = session("op", OPERATOR_USERNAME);
  const account = { username: OPERATOR_USERNAME, password: "pw", accessToken: s.accessToken, refreshToken: s.refreshToken };
  const { api, calls } = script({});
  const result = await ensureAccount(api, input(account, NOW + 60_000));
  assert.deepEqual(calls, []);
  assert.ok(result.kind === "authenticated" && !result.changed && !result.provisioned);
});

test("near expiry: one refresh; an expired refresh token falls back to the password", async () => {
  const s = session("op", OPERATOR_USERNAME);
  const account = { username: OPERATOR_USERNAME, password: "pw", accessToken: s.accessToken, refreshToken: s.refreshToken };
  const refreshed = script({ refresh: [() => session("op2", OPERATOR_USERNAME)] });
  const r1 = await ensureAccount(refreshed.api, input(account, NOW + 800_000));
  assert.deepEqual(refreshed.calls, ["refresh"]);
  assert.ok(r1.kind === "authenticated" && r1.changed && r1.account.password === "pw");

  const revoked = script({ refresh: [() => err("unauthorized", 401)], login: [() => session("op3", OPERATOR_USERNAME)] });
  const r2 = await ensureAccount(revoked.api, input(account, NOW + 800_000));
  assert.deepEqual(revoked.calls, ["refresh", `login:${OPERATOR_USERNAME}`]);
  assert.ok(r2.kind === "authenticated" && !r2.provisioned);
});

test("a password that stopped working is re-provisioned: 409 takes the user over (role admin, enabled, new password)", async () => {
  const account = { username: OPERATOR_USERNAME, password: "rotated-away" };
  const { api, calls } = script({
    login: [() => err("unauthorized", 401), () => session("admin", "admin"), () => session("op", OPERATOR_USERNAME, "admin", true)],
    createUser: [() => err("conflict", 409)],
    updateUser: [(_t, _u, changes) => (assert.deepEqual(changes, { role: "admin", enabled: true }), undefined)],
    resetPassword: [(_t, _u, pw) => (assert.equal(pw, "fresh-pw"), undefined)],
    changeOwnPassword: [() => session("op2", OPERATOR_USERNAME)],
  });
  const result = await ensureAccount(api, input(account));
  assert.deepEqual(calls, [`login:${OPERATOR_USERNAME}`, "login:admin", "createUser", "updateUser", "resetPassword", `login:${OPERATOR_USERNAME}`, "changeOwnPassword"]);
  assert.ok(result.kind === "authenticated" && result.provisioned && result.account.password === "fresh-pw");
});

test("the reference's operator-role account is raised to admin", async () => {
  const account = { username: OPERATOR_USERNAME, password: "pw" };
  const { api, calls } = script({
    login: [() => session("old", OPERATOR_USERNAME, "operator"), () => session("admin", "admin"), () => session("op", OPERATOR_USERNAME, "admin", true)],
    createUser: [() => err("conflict", 409)],
    updateUser: [() => undefined],
    resetPassword: [() => undefined],
    changeOwnPassword: [() => session("op2", OPERATOR_USERNAME)],
  });
  assert.equal((await ensureAccount(api, input(account))).kind, "authenticated");
  assert.equal(calls.filter((c) => c === "updateUser").length, 1);
});

test("a refused admin password ends the walk at once: AuthenticationFailed, no loop", async () => {
  const account = { username: OPERATOR_USERNAME, password: "stale" };
  const { api, calls } = script({ login: [() => err("unauthorized", 401), () => err("unauthorized", 401)] });
  const result = await ensureAccount(api, input(account));
  assert.deepEqual(calls, [`login:${OPERATOR_USERNAME}`, "login:admin"]);
  assert.ok(result.kind === "failed" && result.cause === "adminRefused", JSON.stringify(result));
  assert.ok(!JSON.stringify(result).includes("admin-pw") && !JSON.stringify(result).includes("stale"), "no password in the result");
});

test("403 is terminal; network and 5xx are unreachable; TLS is its own cause", async () => {
  const forbidden = await ensureAccount(script({ login: [() => session("admin", "admin")], createUser: [() => err("forbidden", 403)] }).api, input(undefined));
  assert.ok(forbidden.kind === "failed" && forbidden.cause === "forbidden");
  const down = await ensureAccount(script({ login: [() => err("transient", 0)] }).api, input(undefined));
  assert.equal(down.kind, "unreachable");
  const tls = await ensureAccount(script({ login: [() => err("tls", 0)] }).api, input({ username: OPERATOR_USERNAME, password: "pw" }));
  assert.ok(tls.kind === "failed" && tls.cause === "tls");
  const busy = await ensureAccount(script({ refresh: [() => err("transient", 503)] }).api, input({ username: "u", password: "p", refreshToken: session("x", "u").refreshToken }));
  assert.equal(busy.kind, "unreachable", "a 503 on refresh is not a reason to log in or re-provision");
});

test("an admin that must change its password cannot provision: failed, not a loop", async () => {
  const result = await ensureAccount(script({ login: [() => session("admin", "admin", "admin", true)] }).api, input(undefined));
  assert.ok(result.kind === "failed" && result.cause === "forbidden" && /must change its password/.test(result.message));
});
