/**
 * The API part of a pass against a fake server: when it calls (poll interval, ready transition, back-off kept
 * across passes), what it hands on (view, serving, Authenticated) and when it writes the credentials Secret.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DittoFsAccess, nextApiPassMs, observeApi, pollDue, pollIntervalMs } from "../../../src/dittoserver/api-pass.ts";
import type { DittoFsApi } from "../../../src/dittoserver/api-pass.ts";
import { DittoFsError } from "../../../src/dittofs/errors.ts";
import type { Adapter, Session, ShareStores, SnapshotPolicy, SnapshotPolicyBody, Store, StoreBody } from "../../../src/dittofs/wire.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { NAME, NS, secret, server } from "./fixtures.ts";

const NOW = 1_750_000_000_000;
const ADMIN_PASSWORD = "admin-pass";

function jwt(issuedAt: number, lifetimeMs: number, tag: string): string {
  const payload = Buffer.from(JSON.stringify({ iat: Math.floor(issuedAt / 1000), exp: Math.floor((issuedAt + lifetimeMs) / 1000), sub: tag })).toString("base64url");
  return `eyJhbGciOiJIUzI1NiJ9.${payload}.sig-${tag}`;
}

const adapter = (type: string, port: number, running = true, message = ""): Adapter => ({ type, port, enabled: true, running, health: { status: running ? "healthy" : "unhealthy", message } });

/** A server with one admin and whatever users get created; `down` makes every call fail as unreachable. */
class FakeServer implements DittoFsApi {
  calls: string[] = [];
  down = false;
  adapters: Adapter[] = [adapter("nfs", 12049), adapter("smb", 1445)];
  private users = new Map<string, string>([["admin", ADMIN_PASSWORD]]);
  private issued = 0;

  private call(name: string): void {
    this.calls.push(name);
    if (this.down) throw new DittoFsError("transient", 0, "GET", "/x", "connect EHOSTUNREACH");
  }
  private session(username: string): Session {
    this.issued++;
    return {
      accessToken: jwt(NOW, 15 * 60_000, `a${this.issued}`),
      refreshToken: jwt(NOW, 7 * 24 * 3600_000, `r${this.issued}`),
      expiresAt: NOW + 15 * 60_000,
      user: { username, role: "admin", enabled: true, mustChangePassword: false },
    };
  }
  login(username: string, password: string): Promise<Session> {
    this.call("login");
    if (this.users.get(username) !== password) return Promise.reject(new DittoFsError("unauthorized", 401, "POST", "/api/v1/auth/login", "HTTP 401: invalid credentials"));
    return Promise.resolve(this.session(username));
  }
  refresh(): Promise<Session> {
    this.call("refresh");
    return Promise.resolve(this.session("k8s-operator"));
  }
  changeOwnPassword(): Promise<Session> {
    this.call("changeOwnPassword");
    return Promise.resolve(this.session("k8s-operator"));
  }
  createUser(_token: string, user: { username: string; password: string }) {
    this.call("createUser");
    this.users.set(user.username, user.password);
    return Promise.resolve({ username: user.username, role: "admin", enabled: true, mustChangePassword: false });
  }
  updateUser() {
    this.call("updateUser");
    return Promise.resolve({ username: "k8s-operator", role: "admin", enabled: true, mustChangePassword: false });
  }
  resetPassword(): Promise<void> {
    this.call("resetPassword");
    return Promise.resolve();
  }
  listAdapters(): Promise<Adapter[]> {
    this.call("listAdapters");
    return Promise.resolve(this.adapters);
  }
  nfsSettings() {
    this.call("nfsSettings");
    return Promise.resolve({ portmapperEnabled: false, portmapperPort: 10111 });
  }
  health() {
    this.call("health");
    return Promise.resolve({ status: "healthy", controlPlaneDb: "reachable" });
  }
  policies = new Map<string, SnapshotPolicy>();
  shares = new Set(["/export"]);
  listSnapshotPolicies(): Promise<SnapshotPolicy[]> {
    this.call("listSnapshotPolicies");
    return Promise.resolve([...this.policies.values()]);
  }
  putSnapshotPolicy(_token: string, share: string, body: SnapshotPolicyBody): Promise<SnapshotPolicy> {
    this.call(`putSnapshotPolicy ${share}`);
    if (!this.shares.has(share)) return Promise.reject(new DittoFsError("notFound", 404, "PUT", share, "HTTP 404: share not found"));
    const policy = { share, interval: body.interval, keepLast: body.keep_last ?? 0, ttl: body.ttl ?? "", enabled: body.enabled ?? true, namePrefix: body.name_prefix ?? "" };
    this.policies.set(share, policy);
    return Promise.resolve(policy);
  }
  deleteSnapshotPolicy(_token: string, share: string): Promise<void> {
    this.call(`deleteSnapshotPolicy ${share}`);
    this.policies.delete(share);
    return Promise.resolve();
  }
  stores = { metadata: new Map<string, Store>(), block: new Map<string, Store>(), remote: new Map<string, Store>() };
  listStores(_token: string, kind: "metadata" | "block" | "remote"): Promise<Store[]> {
    this.call(`listStores ${kind}`);
    return Promise.resolve([...this.stores[kind].values()]);
  }
  createStore(_token: string, kind: "metadata" | "block", body: StoreBody): Promise<Store> {
    this.call(`createStore ${kind} ${body.name}`);
    const store = { id: `id-${body.name}`, name: body.name, type: body.type, config: JSON.parse(body.config) as Record<string, unknown> };
    this.stores[kind].set(body.name, store);
    return Promise.resolve(store);
  }
  updateStore(_token: string, kind: "metadata" | "block", body: StoreBody): Promise<Store> {
    this.call(`updateStore ${kind} ${body.name}`);
    return this.createStore(_token, kind, body);
  }
  deleteStore(_token: string, kind: "metadata" | "block", name: string): Promise<void> {
    this.call(`deleteStore ${kind} ${name}`);
    this.stores[kind].delete(name);
    return Promise.resolve();
  }
  shareStores: ShareStores[] = [];
  listShareStores(): Promise<ShareStores[]> {
    this.call("listShareStores");
    return Promise.resolve(this.shareStores);
  }
  close(): void {}
}

function readyPod(uid = "pod-1", ready = true): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: `${NAME}-0`, namespace: NS, uid }, status: { podIP: "10.200.0.7", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } };
}

/** A pass environment: the fake server, the access and a Secret store the writes land in. */
function world(spec: Record<string, unknown> = {}) {
  const fake = new FakeServer();
  const endpoints: string[] = [];
  const access = new DittoFsAccess({ connect: (e) => (endpoints.push(`${e.podIP}:${e.port}`), fake), random: () => 0, newPassword: () => "operator-pass" });
  const secrets = new Map<string, KubeObject>([[`${NAME}-admin-bootstrap-credentials`, secret(`${NAME}-admin-bootstrap-credentials`, { username: "admin", password: ADMIN_PASSWORD })]]);
  const ds = server(spec);
  const pass = async (now: number, pod: KubeObject | undefined = readyPod(), current = ds) => {
    const out = await observeApi(access, { server: current, pod, available: true, secret: (n) => secrets.get(n), now });
    for (const w of out.writes) if (w.op === "apply") secrets.set(w.object.metadata.name ?? "", w.object);
    return out;
  };
  return { fake, access, secrets, pass, endpoints };
}

describe("poll timing", () => {
  it("pollIntervalMs reads spec.adapterDiscovery.pollingInterval, 30 s by default", () => {
    assert.equal(pollIntervalMs(server()), 30_000);
    assert.equal(pollIntervalMs(server({ adapterDiscovery: { pollingInterval: "1m30s" } })), 90_000);
  });

  it("pollDue: first time, then once per interval; after a failure only when the back-off allows", () => {
    assert.equal(pollDue({}, NOW, 30_000, "f"), true);
    assert.equal(pollDue({ lastPollAt: NOW }, NOW + 29_999, 30_000, "f"), false);
    assert.equal(pollDue({ lastPollAt: NOW }, NOW + 30_000, 30_000, "f"), true);
    assert.equal(pollDue({ lastPollAt: NOW - 60_000, backoff: { failures: 3, retryAt: NOW + 5_000 } }, NOW, 30_000, "f"), false, "the back-off wins over an overdue poll");
    assert.equal(pollDue({ backoff: { failures: 1, retryAt: NOW + 600_000, fingerprint: "old" } }, NOW, 30_000, "new"), true, "a terminal failure is retried when its inputs change");
  });

  it("nextApiPassMs: the next poll, or the back-off's time, never under a second", () => {
    assert.equal(nextApiPassMs({}, NOW, 30_000), undefined);
    assert.equal(nextApiPassMs({ lastPollAt: NOW - 10_000 }, NOW, 30_000), 20_000);
    assert.equal(nextApiPassMs({ lastPollAt: NOW - 60_000 }, NOW, 30_000), 1_000);
    assert.equal(nextApiPassMs({ lastPollAt: NOW, backoff: { failures: 2, retryAt: NOW + 4_000 } }, NOW, 30_000), 4_000);
  });
});

describe("observeApi", () => {
  it("provisions the account, writes the credentials Secret once, reads the adapters, and calls nothing until the next poll", async () => {
    const w = world();
    const first = await w.pass(NOW);
    assert.deepEqual(w.endpoints, ["10.200.0.7:8080"], "dialled the pod IP on the API port");
    assert.equal(first.auth.reason, "AuthenticationSucceeded");
    assert.equal(first.provisioned, true);
    assert.equal(first.writes.length, 1, "the credentials Secret is written");
    const stored = w.secrets.get(`${NAME}-operator-credentials`)!.data as Record<string, string>;
    assert.equal(Buffer.from(stored.password!, "base64").toString(), "operator-pass");
    assert.deepEqual(first.view?.adapters.map((a) => a.type), ["nfs", "smb"]);
    assert.deepEqual(first.serving, { serving: true, message: "serving: nfs on 12049, smb on 1445" });
    assert.equal(first.requeueAfterMs, 30_000);
    assert.doesNotMatch(JSON.stringify(first.auth), /operator-pass|admin-pass|sig-a/, "no credential in the condition");

    const calls = w.fake.calls.length;
    const again = await w.pass(NOW + 10_000);
    assert.equal(w.fake.calls.length, calls, "no API call between polls");
    assert.deepEqual(again.writes, [], "no write: the Secret holds the account");
    assert.equal(again.auth.reason, "AuthenticationSucceeded");
    assert.equal(again.requeueAfterMs, 20_000);

    w.fake.calls = [];
    await w.pass(NOW + 30_000);
    assert.deepEqual(w.fake.calls, ["listAdapters", "nfsSettings", "health"], "a due poll uses the stored token: no login");
  });

  it("an adapter that is not running makes serving false, naming it", async () => {
    const w = world();
    w.fake.adapters = [adapter("nfs", 12049), adapter("smb", 1445, false, "listen tcp :1445: bind: address already in use")];
    const out = await w.pass(NOW);
    assert.equal(out.serving?.serving, false);
    assert.match(out.serving?.message ?? "", /adapter smb \(port 1445\) is enabled but not running: listen tcp :1445: bind: address already in use/);
  });

  it("keeps its back-off across passes while the API is unreachable, and never calls inside it", async () => {
    const w = world();
    w.fake.down = true;
    const first = await w.pass(NOW);
    assert.equal(first.auth.reason, "APIUnreachable");
    assert.match(first.auth.message, /10\.200\.0\.7:8080 did not answer/);
    assert.equal(first.view, undefined, "never answered: Ready follows the pod");
    assert.equal(first.serving, undefined);
    assert.equal(first.requeueAfterMs, 2_000);
    const calls = w.fake.calls.length;
    assert.equal((await w.pass(NOW + 1_000)).auth.reason, "APIUnreachable");
    assert.equal(w.fake.calls.length, calls, "inside the back-off: no call");
    const second = await w.pass(NOW + 2_000);
    assert.equal(w.fake.calls.length, calls + 1);
    assert.equal(second.requeueAfterMs, 4_000, "the delay doubles");
    assert.equal(second.auth.message, first.auth.message, "the same message: no status churn");
    w.fake.down = false;
    const recovered = await w.pass(NOW + 6_000);
    assert.equal(recovered.auth.reason, "AuthenticationSucceeded");
    assert.equal(recovered.requeueAfterMs, 30_000, "back on the poll interval");
  });

  it("does not call a pod the StatefulSet does not count available, and polls at once when it does", async () => {
    const w = world();
    await w.pass(NOW);
    const notReady = await observeApi(w.access, { server: server(), pod: readyPod("pod-1", false), available: false, secret: (n) => w.secrets.get(n), now: NOW + 1_000 });
    assert.equal(notReady.auth.reason, "APIUnreachable");
    assert.match(notReady.auth.message, /waiting for pod fs1-0 to be ready/);
    w.fake.calls = [];
    await w.pass(NOW + 2_000);
    assert.deepEqual(w.fake.calls, ["listAdapters", "nfsSettings", "health"], "the ready transition polls without waiting for the interval");
  });

  it("does not call a ready pod the StatefulSet does not count available yet", async () => {
    const w = world();
    const out = await observeApi(w.access, { server: server(), pod: readyPod(), available: false, secret: (n) => w.secrets.get(n), now: NOW });
    assert.equal(out.auth.reason, "APIUnreachable");
    assert.deepEqual(w.fake.calls, []);
  });

  it("calls a pod the StatefulSet counts available even while the cached pod's Ready condition lags behind", async () => {
    const w = world();
    const out = await w.pass(NOW, readyPod("pod-1", false));
    assert.equal(out.auth.reason, "AuthenticationSucceeded");
    assert.deepEqual(w.fake.calls.slice(-3), ["listAdapters", "nfsSettings", "health"]);
  });

  it("a new pod forgets the old pod's adapters", async () => {
    const w = world();
    await w.pass(NOW);
    w.fake.down = true;
    const out = await w.pass(NOW + 1_000, readyPod("pod-2"));
    assert.equal(out.view, undefined);
    assert.equal(out.serving, undefined);
  });

  it("a refused bootstrap password is AuthenticationFailed, retried only when the inputs change or after 10 minutes", async () => {
    const w = world();
    w.secrets.set(`${NAME}-admin-bootstrap-credentials`, secret(`${NAME}-admin-bootstrap-credentials`, { username: "admin", password: "wrong" }));
    const out = await w.pass(NOW);
    assert.equal(out.auth.reason, "AuthenticationFailed");
    assert.match(out.auth.message, /bootstrap admin password was refused/);
    assert.doesNotMatch(out.auth.message, /wrong/);
    assert.equal(out.requeueAfterMs, 600_000);
    const calls = w.fake.calls.length;
    await w.pass(NOW + 60_000);
    assert.equal(w.fake.calls.length, calls, "no retry with the same inputs");
    w.secrets.set(`${NAME}-admin-bootstrap-credentials`, secret(`${NAME}-admin-bootstrap-credentials`, { username: "admin", password: ADMIN_PASSWORD }));
    assert.equal((await w.pass(NOW + 61_000)).auth.reason, "AuthenticationSucceeded", "a fixed Secret is tried at once");
  });

  it("TLS material the spec names but the Secret lacks is AuthenticationFailed without a call", async () => {
    const w = world();
    const ds = server({ controlPlane: { certSecretName: "api-tls" } });
    const out = await observeApi(w.access, { server: ds, pod: readyPod(), available: true, secret: (n) => w.secrets.get(n), now: NOW });
    assert.equal(out.auth.reason, "AuthenticationFailed");
    assert.match(out.auth.message, /api-tls has no ca\.crt/);
    assert.deepEqual(w.fake.calls, []);
  });

  it("forgets a server's state with the server", async () => {
    const w = world();
    await w.pass(NOW);
    w.access.forget(`${NS}/${NAME}`);
    w.fake.calls = [];
    await w.pass(NOW + 1_000);
    assert.deepEqual(w.fake.calls, ["listAdapters", "nfsSettings", "health"], "polled again at once; the account came back from the Secret");
  });
});

describe("snapshot policies in the API pass", () => {
  const policies = (...shares: string[]) => ({ snapshotPolicies: shares.map((share) => ({ share, interval: "1h" })) });

  it("without policies: no policy call at all", async () => {
    const w = world();
    const out = await w.pass(NOW);
    assert.ok(!w.fake.calls.some((c) => c.includes("Snapshot")), w.fake.calls.join(","));
    assert.equal(out.snapshotPolicies?.length, 0);
  });

  it("applied after the adapter poll with its token; in sync a poll costs one list and no write", async () => {
    const w = world(policies("/export"));
    const first = await w.pass(NOW);
    assert.deepEqual(w.fake.calls.slice(-2), ["listSnapshotPolicies", "putSnapshotPolicy /export"]);
    assert.deepEqual(first.snapshotPolicies, [{ share: "/export", state: "Applied" }]);
    w.fake.calls = [];
    await w.pass(NOW + 30_000);
    assert.deepEqual(w.fake.calls, ["listAdapters", "nfsSettings", "health", "listSnapshotPolicies"]);
  });

  it("a spec change is applied at once, not at the next poll; removed policies leave the server", async () => {
    const w = world(policies("/export"));
    await w.pass(NOW);
    w.fake.calls = [];
    const changed = server({ snapshotPolicies: [{ share: "/export", interval: "2h" }] });
    await w.pass(NOW + 1_000, readyPod(), changed);
    assert.ok(w.fake.calls.includes("putSnapshotPolicy /export"), w.fake.calls.join(","));
    w.fake.calls = [];
    const removed = await w.pass(NOW + 2_000, readyPod(), server());
    assert.ok(w.fake.calls.includes("deleteSnapshotPolicy /export"), w.fake.calls.join(","));
    assert.deepEqual(removed.snapshotPolicies, []);
    w.fake.calls = [];
    await w.pass(NOW + 3_000, readyPod(), server());
    assert.deepEqual(w.fake.calls, [], "nothing changed since: no call until the next poll");
  });

  it("a missing share is ShareNotFound and is not PUT again at the next poll (bounded retry)", async () => {
    const w = world(policies("/export", "/missing"));
    const first = await w.pass(NOW);
    assert.equal(first.snapshotPolicies?.find((e) => e.share === "/missing")?.state, "ShareNotFound");
    w.fake.calls = [];
    const next = await w.pass(NOW + 30_000);
    assert.ok(!w.fake.calls.includes("putSnapshotPolicy /missing"), w.fake.calls.join(","));
    assert.deepEqual(next.snapshotPolicies, first.snapshotPolicies);
  });

  it("the API down at the next poll: the poll's back-off, and the record stays as it was", async () => {
    const w = world(policies("/export"));
    const first = await w.pass(NOW);
    w.fake.down = true;
    const down = await w.pass(NOW + 30_000);
    assert.equal(down.auth.reason, "APIUnreachable");
    assert.equal(down.requeueAfterMs, 2_000);
    assert.deepEqual(down.snapshotPolicies, first.snapshotPolicies);
  });
});

describe("stores in the API pass", () => {
  const stores = { stores: { metadata: [{ name: "meta", type: "badger" }] } };

  it("without stores: no store call at all", async () => {
    const w = world();
    await w.pass(NOW);
    assert.ok(!w.fake.calls.some((c) => c.includes("Store")), w.fake.calls.join(","));
  });

  it("created after the adapter poll; in sync a poll costs three lists and no write; removed when it leaves the spec and no share uses it", async () => {
    const w = world(stores);
    const first = await w.pass(NOW);
    assert.ok(w.fake.calls.includes("createStore metadata meta"), w.fake.calls.join(","));
    assert.deepEqual(first.stores, [{ kind: "metadata", name: "meta", type: "badger", state: "Created" }]);
    w.fake.calls = [];
    await w.pass(NOW + 30_000);
    assert.deepEqual(w.fake.calls, ["listAdapters", "nfsSettings", "health", "listStores metadata", "listStores block", "listStores remote"]);
    w.fake.shareStores = [{ name: "/export", metadataStoreId: "id-meta", localBlockStoreId: "" }];
    const kept = await w.pass(NOW + 31_000, readyPod(), server());
    assert.ok(!w.fake.calls.some((c) => c.startsWith("deleteStore")), w.fake.calls.join(","));
    assert.equal(kept.stores?.[0]?.state, "InUse");
    w.fake.shareStores = [];
    const removed = await w.pass(NOW + 61_000, readyPod(), server());
    assert.ok(w.fake.calls.includes("deleteStore metadata meta"), w.fake.calls.join(","));
    assert.deepEqual(removed.stores, []);
  });
});
