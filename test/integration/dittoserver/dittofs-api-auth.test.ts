/**
 * The operator's account and the API's transport against the real dfs behind each pod (the pod runner): tokens
 * refreshed before they end, an account deleted or disabled with the API re-provisioned, a refused bootstrap admin
 * password reported once and not retried until its Secret changes, HTTPS verified for the API Service's name, and
 * mTLS with the operator's client certificate (and a clear condition, with no connection, without one).
 *
 * The operator runs with a DittoFsAccess whose clients record every call, so "no loop" is counted, not assumed.
 * Each test makes its own DittoServer and deletes it at its end.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { tokenTimes } from "../../../src/dittofs/account.ts";
import { DittoFsClient } from "../../../src/dittofs/client.ts";
import type { ApiEndpoint } from "../../../src/dittofs/client.ts";
import { DittoFsAccess } from "../../../src/dittoserver/api-pass.ts";
import { DITTOSERVERS } from "../../../src/dittoserver/kinds.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { CORE } from "../../../src/runtime/resources.ts";
import { makePki } from "../../contract/certs.ts";
import type { TestPki } from "../../contract/certs.ts";
import { RUNNER_LABEL } from "../../controlplane/index.ts";
import { createTestNamespace, waitFor } from "../../controlplane/testenv.ts";
import type { RunningOperator } from "./support.ts";
import { adminClient, condition, deleteAllServers, dittoServer, getServer, installCrd, startOperator, TEST_OPTIONS, waitForCondition } from "./support.ts";

const API_PORT = 8080;
/** The poll interval of every server here: the CRD's minimum. */
const POLL_MS = 5_000;
/** Access tokens that end within two polls, so the refresh path runs within seconds. */
const SHORT_TOKENS = { jwt: { accessTokenDuration: "10s" } };
const client = adminClient();
let ns: { name: string; delete(): Promise<void> };
let operator: RunningOperator;
let pkiDir: string;

/** Every DittoFS call the operator made in the current test, by pod IP, and every client it connected. */
const calls: { podIP: string; method: string }[] = [];
const connects: ApiEndpoint[] = [];
const callsTo = (podIP: string, method?: string) => calls.filter((c) => c.podIP === podIP && (!method || c.method === method)).length;

function countingAccess(): DittoFsAccess {
  return new DittoFsAccess({
    connect: (endpoint) => {
      connects.push(endpoint);
      const real = new DittoFsClient(endpoint);
      return new Proxy(real, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (typeof value !== "function" || prop === "close") return value;
          return (...args: unknown[]) => {
            calls.push({ podIP: endpoint.podIP, method: String(prop) });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  });
}

function spec(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { storage: { metadataSize: "1Gi" }, podLabels: { [RUNNER_LABEL]: "true" }, adapterDiscovery: { pollingInterval: "5s" }, ...extra };
}

async function secretData(name: string): Promise<Record<string, string>> {
  const secret = await client.get(CORE.secrets, { namespace: ns.name, name });
  return Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/** Creates or updates a Secret of the test's namespace (server-side apply). */
async function putSecret(name: string, data: Record<string, string>, type = "Opaque"): Promise<void> {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns.name }, type, data: encoded };
  await client.apply(CORE.secrets, secret);
}

async function readyPodIP(server: string): Promise<string> {
  return waitFor(
    `pod ${server}-0 Ready`,
    async () => {
      const p = await client.getOrUndefined<KubeObject & { status?: { podIP?: string; conditions?: { type: string; status: string }[] } }>(CORE.pods, { namespace: ns.name, name: `${server}-0` });
      const ready = p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return ready && p?.status?.podIP ? p.status.podIP : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
}

/** Occurrences of the events `reason` about `server`: a repeat with the same note counts in its series. */
async function occurrences(server: string, reason: string): Promise<number> {
  const list = await client.list<{ regarding?: { name?: string }; reason: string; series?: { count?: number } }>(CORE.events, { namespace: ns.name });
  return list.items.filter((e) => e.regarding?.name === server && e.reason === reason).reduce((sum, e) => sum + (e.series?.count ?? 1), 0);
}

/** A plain-HTTP admin session with `password`, for changes made behind the operator's back (as dfsctl would). */
async function asAdmin<T>(podIP: string, password: string, use: (api: DittoFsClient, token: string) => Promise<T>): Promise<T> {
  const api = new DittoFsClient({ podIP, port: API_PORT });
  try {
    return await use(api, (await api.login("admin", password)).accessToken);
  } finally {
    api.close();
  }
}

/** Nothing happens for two polls: no DittoFS call to the pod, no status write, no Kubernetes write at all. */
async function assertQuiet(server: string, podIP: string): Promise<void> {
  const callsBefore = callsTo(podIP);
  const writesBefore = await operator.writes();
  const versionBefore = (await getServer(client, ns.name, server)).metadata.resourceVersion;
  await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS + 1_000)); // the window observed, not a wait for a condition
  assert.equal(callsTo(podIP) - callsBefore, 0, "no DittoFS call while the failure stands");
  assert.equal((await operator.writes()) - writesBefore, 0, "no write to the Kubernetes API");
  assert.equal((await getServer(client, ns.name, server)).metadata.resourceVersion, versionBefore, "no status churn");
}

/** The pid of the server's dfs process: the pod runner's containerID. */
async function serverPid(server: string): Promise<number> {
  const current = await client.get<KubeObject & { status?: { containerStatuses?: { containerID?: string }[] } }>(CORE.pods, { namespace: ns.name, name: `${server}-0` });
  const pid = Number(/^pod-runner:\/\/(\d+)$/.exec(current.status?.containerStatuses?.[0]?.containerID ?? "")?.[1]);
  assert.ok(pid > 0, "containerID names the process");
  return pid;
}

async function deleteServer(server: string): Promise<void> {
  await client.delete(DITTOSERVERS, { namespace: ns.name, name: server });
  await waitFor(`${server} gone`, async () => ((await client.getOrUndefined(DITTOSERVERS, { namespace: ns.name, name: server })) ? undefined : true), { timeoutMs: 120_000, intervalMs: 250 });
}

/** A CA, a server certificate for `names` and a client certificate, in a directory of its own. */
function pki(label: string, names: string[]): TestPki {
  return makePki(join(pkiDir, label), names);
}

before(async () => {
  await installCrd();
  ns = await createTestNamespace("ds-dittofs-auth");
  pkiDir = mkdtempSync(join(tmpdir(), "dittofs-auth-pki-"));
  operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodTimeoutMs: 120_000 }, countingAccess());
});

after(async () => {
  await deleteAllServers(client, ns.name).catch(() => undefined);
  await operator.stop();
  await ns.delete();
  await client.close();
  rmSync(pkiDir, { recursive: true, force: true });
});

describe("the operator's DittoFS account and transport against a real dfs", { concurrency: false }, () => {
  // Pod IPs are reused once a test's server is gone: each test counts only its own calls.
  beforeEach(() => {
    calls.length = 0;
    connects.length = 0;
  });

  it("refreshes a token near its end with the refresh token: no new login, no re-provisioning, Authenticated stays True", async () => {
    const name = "refresh";
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec({ identity: SHORT_TOKENS })));
    const podIP = await readyPodIP(name);
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 60_000);
    const first = await secretData(`${name}-operator-credentials`);
    const firstTimes = tokenTimes(first["access-token"]);
    assert.ok(firstTimes, "the Secret holds a JWT access token");
    assert.equal(firstTimes.expiresAt - firstTimes.issuedAt, 10_000, "the server issues tokens of spec.identity.jwt.accessTokenDuration");
    const logins = callsTo(podIP, "login");

    const refreshed = await waitFor(
      "a refreshed access token in the Secret",
      async () => {
        const now = await secretData(`${name}-operator-credentials`);
        return now["access-token"] !== first["access-token"] ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const times = tokenTimes(refreshed["access-token"]);
    assert.ok(times && times.issuedAt > firstTimes.issuedAt, "a newer token");
    assert.ok(times.issuedAt < firstTimes.expiresAt, "taken before the old one ended");
    assert.equal(refreshed.password, first.password, "same account, same password");
    assert.ok(callsTo(podIP, "refresh") >= 1, "through POST /auth/refresh");
    assert.equal(callsTo(podIP, "login"), logins, "no password login for a refresh");
    assert.equal(await occurrences(name, "AccountProvisioned"), 1);
    const server = await getServer(client, ns.name, name);
    assert.equal(condition(server.status, "Authenticated")?.reason, "AuthenticationSucceeded");
    assert.deepEqual([...operator.reasons.conditions(name)].filter((c) => c.startsWith("Authenticated/") && c !== "Authenticated/AuthenticationSucceeded" && c !== "Authenticated/APIUnreachable"), []);
    // The refreshed token works on the server (the operator's next poll uses it).
    await asAdmin(podIP, (await secretData(`${name}-admin-bootstrap-credentials`)).password ?? "", async (api) => {
      assert.ok((await api.listAdapters(refreshed["access-token"] ?? "")).length > 0);
    });
    await deleteServer(name);
  });

  it("an account deleted, then disabled, through the API is provisioned again at the next refresh with no manual step", async () => {
    const name = "account";
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec({ identity: SHORT_TOKENS })));
    const podIP = await readyPodIP(name);
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 60_000);
    const adminPassword = (await secretData(`${name}-admin-bootstrap-credentials`)).password ?? "";
    const stored = await secretData(`${name}-operator-credentials`);

    // Deleted: its tokens stay valid (stateless JWTs) until the refresh, which the server refuses ("User not found").
    await asAdmin(podIP, adminPassword, (api, token) => api.deleteUser(token, "k8s-operator"));
    const callsBefore = callsTo(podIP);
    await waitFor("AccountProvisioned twice", async () => ((await occurrences(name, "AccountProvisioned")) === 2 ? true : undefined), { timeoutMs: 40_000, intervalMs: 250 });
    // refresh (401) → login (401) → admin login → create → login → clear must-change → GET adapters, NFS settings, health.
    assert.ok(callsTo(podIP) - callsBefore <= 12, `a bounded walk, not a loop: ${callsTo(podIP) - callsBefore} calls`);
    const again = await secretData(`${name}-operator-credentials`);
    assert.notEqual(again.password, stored.password, "a new password");
    await asAdmin(podIP, adminPassword, async (api) => {
      assert.equal((await api.login("k8s-operator", again.password ?? "")).user.role, "admin");
    });

    // Disabled: the refresh is refused (403), the account is enabled again and given a new password.
    await asAdmin(podIP, adminPassword, (api, token) => api.updateUser(token, "k8s-operator", { enabled: false }));
    await waitFor("AccountProvisioned three times", async () => ((await occurrences(name, "AccountProvisioned")) === 3 ? true : undefined), { timeoutMs: 40_000, intervalMs: 250 });
    const third = await secretData(`${name}-operator-credentials`);
    const session = await asAdmin(podIP, adminPassword, (api) => api.login("k8s-operator", third.password ?? ""));
    assert.equal(session.user.enabled, true);
    assert.equal(session.user.mustChangePassword, false);
    assert.deepEqual([...operator.reasons.conditions(name)].filter((c) => c === "Authenticated/AuthenticationFailed"), [], "a repairable account never reads as failed");
    await deleteServer(name);
  });

  it("a wrong password in the credentials Secret, read by a restarted operator: provisioned again with no manual step", async () => {
    const name = "corrupt";
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec()));
    const podIP = await readyPodIP(name);
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 60_000);
    // While the operator is down, the Secret loses its tokens and gets a password the server does not know.
    await operator.stop();
    // Replaced, not applied: an apply would leave the tokens, whose fields the operator's own apply owns.
    await client.delete(CORE.secrets, { namespace: ns.name, name: `${name}-operator-credentials` });
    await putSecret(`${name}-operator-credentials`, { username: "k8s-operator", password: "not-the-password-0123456789" });
    const loginsBefore = callsTo(podIP, "login");
    operator = await startOperator(ns.name, { ...TEST_OPTIONS, deletionPodTimeoutMs: 120_000 }, countingAccess());
    await waitFor("AccountProvisioned twice", async () => ((await occurrences(name, "AccountProvisioned")) === 2 ? true : undefined), { timeoutMs: 40_000, intervalMs: 250 });
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 30_000);
    // login as k8s-operator (401) → admin login → create (409) → update → reset → login → clear must-change, then the poll.
    const logins = callsTo(podIP, "login") - loginsBefore;
    assert.equal(logins, 3, `one walk, not a loop: ${logins} logins`);
    const account = await secretData(`${name}-operator-credentials`);
    assert.notEqual(account.password, "not-the-password-0123456789");
    await asAdmin(podIP, (await secretData(`${name}-admin-bootstrap-credentials`)).password ?? "", async (api) => {
      assert.equal((await api.login("k8s-operator", account.password ?? "")).user.role, "admin");
    });
    await deleteServer(name);
  });

  it("a bootstrap admin password the server no longer takes: AuthenticationFailed with one Warning and no retry until its Secret changes, then provisioned", async () => {
    const name = "rotated";
    const original = "original-admin-password-0123456789";
    const rotated = "rotated-admin-password-9876543210";
    await putSecret("rotated-admin", { password: original });
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec({ identity: { ...SHORT_TOKENS, admin: { passwordSecretRef: { name: "rotated-admin", key: "password" } } } })));
    const podIP = await readyPodIP(name);
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 60_000);

    // Behind the operator's back: admin's password rotated through the API, and the operator's account removed,
    // so the next refresh needs provisioning, which the Secret's (old) admin password can no longer do.
    await asAdmin(podIP, original, async (api, token) => {
      await api.changeOwnPassword(token, rotated, original);
      await api.deleteUser(token, "k8s-operator");
    });
    const failed = await waitForCondition(client, ns.name, name, "Authenticated", "False", "AuthenticationFailed", 40_000);
    const message = condition(failed.status, "Authenticated")?.message ?? "";
    assert.match(message, /bootstrap admin password was refused/);
    assert.ok(!message.includes(original) && !message.includes(rotated), "no password in the condition");
    assert.equal(condition(failed.status, "Ready")?.status, "True", "the server still serves: only the operator cannot manage it");
    await waitFor("the AuthenticationFailed event", async () => ((await occurrences(name, "AuthenticationFailed")) > 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 250 });
    await assertQuiet(name, podIP);
    assert.equal(await occurrences(name, "AuthenticationFailed"), 1, "one Warning for the failure, not one per pass");

    // The user updates the Secret to the rotated password: retried at once, the account provisioned again.
    await putSecret("rotated-admin", { password: rotated });
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 90_000);
    const account = await secretData(`${name}-operator-credentials`);
    const podIPNow = await readyPodIP(name);
    await asAdmin(podIPNow, rotated, async (api) => {
      assert.equal((await api.login("k8s-operator", account.password ?? "")).user.role, "admin");
    });
    assert.equal(await occurrences(name, "AuthenticationFailed"), 1);
    await deleteServer(name);
  });

  it("HTTPS verified for <name>-api.<namespace>.svc while dialling the pod IP: Authenticated=True and Ready", async () => {
    const name = "tls";
    const certs = pki(name, [`${name}-api.${ns.name}.svc`]);
    await putSecret("tls-cert", { "tls.crt": certs.server.cert, "tls.key": certs.server.key, "ca.crt": certs.ca.cert }, "kubernetes.io/tls");
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec({ controlPlane: { port: API_PORT, certSecretName: "tls-cert" } })));
    const podIP = await readyPodIP(name);
    const server = await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 60_000);
    assert.match(condition(server.status, "Authenticated")?.message ?? "", new RegExp(`${podIP.replaceAll(".", "\\.")}:${API_PORT} as k8s-operator`));
    await waitForCondition(client, ns.name, name, "Ready", "True", "ServerReady", 60_000);
    assert.ok(connects.some((e) => e.podIP === podIP && e.tls?.serverName === `${name}-api.${ns.name}.svc`), "the operator's client verified the Service name");
    // The server really speaks HTTPS with that certificate: a verifying client gets its health.
    const api = new DittoFsClient({ podIP, port: API_PORT, tls: { ca: certs.ca.cert, serverName: `${name}-api.${ns.name}.svc` } });
    try {
      assert.equal((await api.health()).controlPlaneDb, "reachable");
    } finally {
      api.close();
    }
    await deleteServer(name);
  });

  it("a server certificate for another name: AuthenticationFailed naming the TLS problem, one Warning, no retry; a fixed certificate authenticates", async () => {
    const name = "tls-wrong";
    const certs = pki(name, ["someone-else.example.com"]);
    await putSecret("tls-wrong-cert", { "tls.crt": certs.server.cert, "tls.key": certs.server.key, "ca.crt": certs.ca.cert }, "kubernetes.io/tls");
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec({ controlPlane: { port: API_PORT, certSecretName: "tls-wrong-cert" } })));
    const podIP = await readyPodIP(name);
    const failed = await waitForCondition(client, ns.name, name, "Authenticated", "False", "AuthenticationFailed", 60_000);
    const message = condition(failed.status, "Authenticated")?.message ?? "";
    assert.match(message, /TLS failed/);
    assert.match(message, new RegExp(`${name}-api\\.${ns.name}\\.svc`), `the message names the expected name: ${message}`);
    await waitFor("the AuthenticationFailed event", async () => ((await occurrences(name, "AuthenticationFailed")) > 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 250 });
    assert.equal(callsTo(podIP), 1, "one attempt (the admin login) and no more");
    await assertQuiet(name, podIP);
    assert.equal(await occurrences(name, "AuthenticationFailed"), 1);

    // A certificate for the right name in the same Secret. The pod runner writes Secret files only when a container
    // starts (a kubelet syncs them into the running pod), so the server is restarted to serve it; the restart takes
    // the pod out of Ready, after which the operator calls at once.
    const right = pki(`${name}-fixed`, [`${name}-api.${ns.name}.svc`]);
    await putSecret("tls-wrong-cert", { "tls.crt": right.server.cert, "tls.key": right.server.key, "ca.crt": right.ca.cert }, "kubernetes.io/tls");
    process.kill(await serverPid(name), "SIGKILL");
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 90_000);
    assert.equal(await occurrences(name, "AuthenticationFailed"), 1);
    await deleteServer(name);
  });

  it("mTLS: the operator presents the certificate of operatorClientCertSecretName; a client without one is refused", async () => {
    const name = "mtls";
    const certs = pki(name, [`${name}-api.${ns.name}.svc`]);
    await putSecret("mtls-cert", { "tls.crt": certs.server.cert, "tls.key": certs.server.key, "ca.crt": certs.ca.cert }, "kubernetes.io/tls");
    await putSecret("mtls-client-ca", { "ca.crt": certs.ca.cert });
    await putSecret("mtls-operator", { "tls.crt": certs.client.cert, "tls.key": certs.client.key }, "kubernetes.io/tls");
    const controlPlane = { port: API_PORT, certSecretName: "mtls-cert", clientCASecretName: "mtls-client-ca", operatorClientCertSecretName: "mtls-operator" };
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec({ controlPlane })));
    const podIP = await readyPodIP(name);
    await waitForCondition(client, ns.name, name, "Authenticated", "True", "AuthenticationSucceeded", 60_000);
    await waitForCondition(client, ns.name, name, "Ready", "True", "ServerReady", 60_000);
    assert.ok(connects.some((e) => e.podIP === podIP && e.tls?.clientCertificate?.cert === certs.client.cert), "with the operator's client certificate");
    const tls = { ca: certs.ca.cert, serverName: `${name}-api.${ns.name}.svc` };
    const anonymous = new DittoFsClient({ podIP, port: API_PORT, tls });
    try {
      await assert.rejects(anonymous.health(), "the server requires a client certificate, even for /health");
    } finally {
      anonymous.close();
    }
    await deleteServer(name);
  });

  it("mTLS without operatorClientCertSecretName: AuthenticationFailed saying so, and no connection at all", async () => {
    const name = "mtls-none";
    const certs = pki(name, [`${name}-api.${ns.name}.svc`]);
    await putSecret("mtls-none-cert", { "tls.crt": certs.server.cert, "tls.key": certs.server.key, "ca.crt": certs.ca.cert }, "kubernetes.io/tls");
    await putSecret("mtls-none-client-ca", { "ca.crt": certs.ca.cert });
    await client.create(DITTOSERVERS, dittoServer(ns.name, name, spec({ controlPlane: { port: API_PORT, certSecretName: "mtls-none-cert", clientCASecretName: "mtls-none-client-ca" } })));
    const podIP = await readyPodIP(name);
    const failed = await waitForCondition(client, ns.name, name, "Authenticated", "False", "AuthenticationFailed", 60_000);
    assert.match(condition(failed.status, "Authenticated")?.message ?? "", /operatorClientCertSecretName is not set/);
    await waitFor("the AuthenticationFailed event", async () => ((await occurrences(name, "AuthenticationFailed")) > 0 ? true : undefined), { timeoutMs: 15_000, intervalMs: 250 });
    await assertQuiet(name, podIP);
    assert.equal(connects.filter((e) => e.podIP === podIP).length, 0, "no client was ever made for this server");
    assert.equal(callsTo(podIP), 0);
    assert.equal(await occurrences(name, "AuthenticationFailed"), 1);
    await deleteServer(name);
  });
});
