/**
 * Session borrowing: a controller of a resource bound to a DittoServer gets the client and the live token the
 * DittoServer's own pass established, never logs in itself, and a 401 it gets makes that pass log in again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DittoFsAccess, observeApi } from "../../../src/dittoserver/api-pass.ts";
import type { DittoFsApi } from "../../../src/dittoserver/api-pass.ts";
import type { ApiEndpoint, DittoFsClient } from "../../../src/dittofs/client.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { Session } from "../../../src/dittofs/wire.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { NAME, NS, secret, server } from "./fixtures.ts";

const NOW = 1_750_000_000_000;
const KEY = `${NS}/${NAME}`;
const TOKEN_LIFE_MS = 15 * 60_000;

function jwt(issuedAt: number, tag: string): string {
  const payload = Buffer.from(JSON.stringify({ iat: Math.floor(issuedAt / 1000), exp: Math.floor((issuedAt + TOKEN_LIFE_MS) / 1000), sub: tag })).toString("base64url");
  return `eyJhbGciOiJIUzI1NiJ9.${payload}.sig-${tag}`;
}

/** Just enough of a server for a pass without stores or policies: accounts, adapters, health. */
function fakeServer(): { api: DittoFsApi; calls: string[] } {
  const calls: string[] = [];
  const users = new Map([["admin", "admin-pass"]]);
  let issued = 0;
  const session = (username: string): Session => {
    issued++;
    return { accessToken: jwt(NOW, `a${issued}`), refreshToken: jwt(NOW, `r${issued}`), expiresAt: NOW + TOKEN_LIFE_MS, user: { username, role: "admin", enabled: true, mustChangePassword: false } };
  };
  const user = { username: "k8s-operator", role: "admin", enabled: true, mustChangePassword: false };
  const call = <T>(name: string, value: T): Promise<T> => (calls.push(name), Promise.resolve(value));
  const api: DittoFsApi = {
    login: (username, password) => (calls.push("login"), users.get(username) === password ? Promise.resolve(session(username)) : Promise.reject(new DittoFsError("unauthorized", 401, "POST", "/auth/login", "HTTP 401"))),
    refresh: () => call("refresh", session("k8s-operator")),
    changeOwnPassword: () => call("changeOwnPassword", session("k8s-operator")),
    createUser: (_t, u) => (users.set(u.username, u.password), call("createUser", user)),
    updateUser: () => call("updateUser", user),
    resetPassword: () => call("resetPassword", undefined),
    listAdapters: () => call("listAdapters", []),
    nfsSettings: () => call("nfsSettings", { portmapperEnabled: false, portmapperPort: 10111 }),
    health: () => call("health", { status: "healthy", controlPlaneDb: "reachable" }),
    listSnapshotPolicies: () => call("listSnapshotPolicies", []),
    putSnapshotPolicy: () => Promise.reject(new Error("unused")),
    deleteSnapshotPolicy: () => Promise.reject(new Error("unused")),
    listStores: () => call("listStores", []),
    createStore: () => Promise.reject(new Error("unused")),
    updateStore: () => Promise.reject(new Error("unused")),
    deleteStore: () => Promise.reject(new Error("unused")),
    listShareStores: () => call("listShareStores", []),
    close: () => undefined,
  };
  return { api, calls };
}

function world() {
  const fake = fakeServer();
  const lent: { endpoint: ApiEndpoint; closed: boolean }[] = [];
  const access = new DittoFsAccess({
    connect: () => fake.api,
    // Only identity and close matter here: the borrower's calls are the bound kinds' tests.
    connectBorrower: (endpoint) => {
      const entry = { endpoint, closed: false };
      lent.push(entry);
      return { endpoint, close: () => void (entry.closed = true) } as unknown as DittoFsClient;
    },
    random: () => 0,
    newPassword: () => "operator-pass",
  });
  const secrets = new Map<string, KubeObject>([[`${NAME}-admin-bootstrap-credentials`, secret(`${NAME}-admin-bootstrap-credentials`, { username: "admin", password: "admin-pass" })]]);
  const ds = server();
  const pod = (ip: string | null): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: `${NAME}-0`, namespace: NS, uid: "pod-1" }, status: ip ? { podIP: ip } : {} });
  /** A pass of the DittoServer's controller; `ip` null: the pod is not ready. */
  const pass = async (now: number, ip: string | null = "10.200.0.7") => {
    const out = await observeApi(access, { server: ds, pod: pod(ip), available: ip !== null, secret: (n) => secrets.get(n), now });
    for (const w of out.writes) if (w.op === "apply") secrets.set(w.object.metadata.name ?? "", w.object);
    return out;
  };
  return { fake, access, lent, pass, uid: ds.metadata.uid ?? "" };
}

describe("DittoFsAccess.borrow", () => {
  it("nothing to lend before the DittoServer's pass reached the API, nor for another UID", async () => {
    const w = world();
    const before = w.access.borrow(KEY, w.uid, NOW);
    assert.equal(before.ok, false);
    await w.pass(NOW);
    const other = w.access.borrow(KEY, "another-uid", NOW);
    assert.equal(other.ok, false, "a DittoServer deleted and created again under the same name");
  });

  it("lends the pass's token and one client for the server's endpoint, without a call of its own", async () => {
    const w = world();
    await w.pass(NOW);
    const calls = w.fake.calls.length;
    const first = w.access.borrow(KEY, w.uid, NOW + 1_000);
    assert.ok(first.ok);
    assert.match(first.token, /sig-a\d/);
    assert.equal(first.where, "10.200.0.7:8080");
    assert.deepEqual(w.lent.map((l) => `${l.endpoint.podIP}:${l.endpoint.port}`), ["10.200.0.7:8080"]);
    const second = w.access.borrow(KEY, w.uid, NOW + 2_000);
    assert.ok(second.ok);
    assert.equal(second.api, first.api, "the same client while the endpoint is the same");
    assert.equal(w.lent.length, 1);
    assert.equal(w.fake.calls.length, calls, "borrowing calls nothing");
  });

  it("not ok with the server's own Authenticated reason and message while its pod is not ready", async () => {
    const w = world();
    await w.pass(NOW);
    await w.pass(NOW + 1_000, null);
    const out = w.access.borrow(KEY, w.uid, NOW + 1_000);
    assert.ok(!out.ok);
    assert.equal(out.reason, "APIUnreachable");
    assert.match(out.message, /waiting for pod fs1-0 to be ready/);
  });

  it("not ok once the token has expired (the DittoServer's pass refreshes it before)", async () => {
    const w = world();
    await w.pass(NOW);
    const out = w.access.borrow(KEY, w.uid, NOW + TOKEN_LIFE_MS);
    assert.ok(!out.ok);
    assert.equal(out.reason, "AuthenticationFailed");
  });

  it("a new endpoint (the pod moved) closes the lent client and lends a new one", async () => {
    const w = world();
    await w.pass(NOW);
    assert.ok(w.access.borrow(KEY, w.uid, NOW).ok);
    await w.pass(NOW + 40_000, "10.200.0.9");
    const moved = w.access.borrow(KEY, w.uid, NOW + 40_000);
    assert.ok(moved.ok);
    assert.equal(moved.where, "10.200.0.9:8080");
    assert.deepEqual(w.lent.map((l) => l.closed), [true, false]);
    w.access.forget(KEY);
    assert.deepEqual(w.lent.map((l) => l.closed), [true, true], "forgetting the server closes its lent client");
  });
});

describe("DittoFsAccess.tokenRefused", () => {
  it("drops the token, tells the listener, and the server's next pass gets a new one at once", async () => {
    const w = world();
    const woken: string[] = [];
    w.access.onTokenRefused((key) => woken.push(key));
    await w.pass(NOW);
    const lent = w.access.borrow(KEY, w.uid, NOW);
    assert.ok(lent.ok);
    w.access.tokenRefused(KEY);
    assert.deepEqual(woken, [KEY]);
    assert.equal(w.access.borrow(KEY, w.uid, NOW).ok, false, "the refused token is not lent again");
    w.access.tokenRefused(KEY);
    assert.deepEqual(woken, [KEY], "a second borrower's 401 for the same token wakes nothing more");

    w.fake.calls.length = 0;
    await w.pass(NOW + 1_000);
    assert.ok(w.fake.calls.includes("refresh") || w.fake.calls.includes("login"), `a new token before the poll interval: ${w.fake.calls.join(", ")}`);
    const again = w.access.borrow(KEY, w.uid, NOW + 1_000);
    assert.ok(again.ok);
    assert.notEqual(again.token, lent.token);
  });

  it("an unknown server is ignored", () => {
    const w = world();
    const woken: string[] = [];
    w.access.onTokenRefused((key) => woken.push(key));
    w.access.tokenRefused("nowhere/none");
    assert.deepEqual(woken, []);
  });
});
