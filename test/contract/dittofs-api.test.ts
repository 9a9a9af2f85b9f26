/**
 * The operator's DittoFS API client and account walk (src/dittofs/) against the real dfs v0.29.0, started from
 * rendered pods: provisioning with the generated admin Secret's password, the must-change gate, token refresh,
 * re-provisioning after a password stops working, the adapter list under dfsctl changes (SMB off, NFS moved,
 * portmapper on, a port that cannot bind), snapshot policies with drift made by dfsctl, and TLS verified for the
 * API Service's DNS name while dialing 127.0.0.1, with and without the client certificate mTLS requires.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureAccount, OPERATOR_USERNAME, refreshDueAt } from "../../src/dittofs/account.ts";
import type { Account, AccountApi } from "../../src/dittofs/account.ts";
import { DittoFsClient } from "../../src/dittofs/client.ts";
import type { ApiEndpoint } from "../../src/dittofs/client.ts";
import { DittoFsError, isDittoFsError } from "../../src/dittofs/errors.ts";
import { adapterServicePorts, desiredAdapterServices, serving } from "../../src/dittoserver/adapters.ts";
import { nextPolicyRecord, planSnapshotPolicies } from "../../src/dittoserver/snapshot-policies.ts";
import type { PolicyOutcome } from "../../src/dittoserver/snapshot-policies.ts";
import type { SnapshotPolicySpec, SnapshotPolicyStatus } from "../../src/api/types.ts";
import { allocatePorts } from "../controlplane/ports.ts";
import { makePki } from "./certs.ts";
import type { TestPki } from "./certs.ts";
import { dfsBinary, dfsBinDir } from "./dfs.ts";
import { hostPort } from "./probe.ts";
import { defaulted, NAMESPACE, renderPod } from "./render.ts";
import { accessToken, openSession } from "./session.ts";
import type { Session } from "./session.ts";

/** The API Service's DNS name: what the server certificate carries and what the client checks. */
const apiDns = (name: string) => `${name}-api.${NAMESPACE}.svc`;

function manifest(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { metadata: { name }, spec: { storage: { metadataSize: "1Gi" }, ...spec } };
}

async function rejected(call: Promise<unknown>): Promise<DittoFsError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof DittoFsError, `expected a DittoFsError, got ${String(err)}`);
    return err;
  }
  assert.fail("the call was expected to fail");
}

/** Counts calls per method: a walk's cost on the real server. */
function counting(client: DittoFsClient): { api: AccountApi; calls: string[] } {
  const calls: string[] = [];
  const api = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { api, calls };
}

interface Booted {
  session: Session;
  client: DittoFsClient;
  adminToken: string;
  adminPassword: string;
  /** Runs dfsctl against this server as admin; resolves with stdout, rejects with stderr. */
  dfsctl(...args: string[]): Promise<string>;
}

describe("the operator's DittoFS API client against dfs v0.29.0", () => {
  let binary = "";
  let ctlBinary = "";
  let work = "";
  let pki: TestPki;
  const sessions: Session[] = [];
  const clients: DittoFsClient[] = [];

  before(async () => {
    binary = await dfsBinary();
    ctlBinary = join(await dfsBinDir(), "dfsctl");
    work = mkdtempSync(join(tmpdir(), "dittofs-contract-api-"));
    pki = makePki(join(work, "pki"), ["plain", "tls", "mtls"].map(apiDns));
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const session of sessions) await session.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function clientFor(session: Session, tls?: ApiEndpoint["tls"]): DittoFsClient {
    const client = new DittoFsClient({ podIP: "127.0.0.1", port: hostPort(session.container, session.launch, "api"), tls }, { timeoutMs: 10_000 });
    clients.push(client);
    return client;
  }

  async function boot(name: string, spec: Record<string, unknown> = {}, tls?: ApiEndpoint["tls"]): Promise<Booted> {
    const rendered = renderPod(defaulted(manifest(name, spec)), { pki });
    const session = await openSession(rendered, binary, join(work, name), pki);
    sessions.push(session);
    await session.start();
    const adminToken = accessToken(await session.login());
    await session.moveAdapters(adminToken);
    const home = join(work, name, "dfsctl-home");
    mkdirSync(home, { recursive: true });
    const scheme = tls ? "https" : "http";
    const server = `${scheme}://127.0.0.1:${hostPort(session.container, session.launch, "api")}`;
    const dfsctl = (...args: string[]) =>
      new Promise<string>((resolve, reject) => {
        execFile(
          ctlBinary,
          ["--server", server, "--token", adminToken, "--no-color", ...args],
          { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: home }, timeout: 30_000 },
          (err, stdout, stderr) => {
            if (err) reject(new Error(`dfsctl ${args.join(" ")}: ${stderr || err.message}`));
            else resolve(stdout);
          },
        );
      });
    return { session, client: clientFor(session, tls), adminToken, adminPassword: rendered.adminPassword, dfsctl };
  }

  describe("account", () => {
    let s: Booted;
    let account: Account | undefined;
    before(async () => {
      s = await boot("plain");
    });

    it("provisions an admin-role operator account with the generated admin password and clears must-change", async () => {
      // What the server does to an admin-role user created over the API: the must-change gate is armed.
      await s.client.createUser(s.adminToken, { username: "gate-probe", password: "gate-probe-password", role: "admin" });
      const gated = await s.client.login("gate-probe", "gate-probe-password");
      assert.equal(gated.user.mustChangePassword, true);
      const gate = await rejected(s.client.listAdapters(gated.accessToken));
      assert.equal(gate.kind, "mustChangePassword", gate.message);
      assert.equal(gate.status, 403);

      const { api, calls } = counting(s.client);
      const result = await ensureAccount(api, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "operator-password-1" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));
      if (result.kind !== "authenticated") return;
      assert.deepEqual(calls, ["login", "createUser", "login", "changeOwnPassword"]);
      assert.ok(result.provisioned && result.changed);
      account = result.account;
      const me = await s.client.me(result.token);
      assert.deepEqual(me, { username: OPERATOR_USERNAME, role: "admin", enabled: true, mustChangePassword: false });
      // The admin-only calls the operator makes now work with its own token.
      assert.equal((await s.client.nfsSettings(result.token)).portmapperEnabled, false);
      assert.deepEqual(await s.client.listSnapshotPolicies(result.token), []);
      // The same password still logs in after the change (the stored password is the one in force).
      assert.equal((await s.client.login(OPERATOR_USERNAME, "operator-password-1")).user.mustChangePassword, false);
    });

    it("an operator-role account, as the reference used, gets 403 on portmapper settings and snapshot policies", async () => {
      await s.client.createUser(s.adminToken, { username: "operator-role", password: "operator-role-password", role: "operator" });
      const token = (await s.client.login("operator-role", "operator-role-password")).accessToken;
      assert.ok((await s.client.listAdapters(token)).length > 0, "the adapter list is allowed");
      const adminOnly = [() => s.client.nfsSettings(token), () => s.client.listSnapshotPolicies(token), () => s.client.patchNfsSettings(token, { portmapper_enabled: true })];
      for (const call of adminOnly) {
        const err = await rejected(call());
        assert.equal(err.kind, "forbidden", err.message);
        assert.match(err.message, /Admin access required/);
      }
    });

    it("a stored token that is not near expiry costs no call; near expiry one refresh gives a working token", async () => {
      assert.ok(account);
      const idle = counting(s.client);
      const same = await ensureAccount(idle.api, { account, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "unused" });
      assert.deepEqual(idle.calls, []);
      assert.ok(same.kind === "authenticated" && !same.changed);

      const due = refreshDueAt(account);
      assert.ok(due !== undefined && due > Date.now() + 10 * 60_000, "the server's 15-minute token is due for refresh after 12 minutes");
      const busy = counting(s.client);
      const refreshed = await ensureAccount(busy.api, { account, adminPassword: s.adminPassword, now: due, newPassword: () => "unused" });
      assert.deepEqual(busy.calls, ["refresh"]);
      assert.equal(refreshed.kind, "authenticated");
      if (refreshed.kind !== "authenticated") return;
      assert.equal(refreshed.account.password, account.password);
      assert.equal((await s.client.me(refreshed.token)).username, OPERATOR_USERNAME);
      account = refreshed.account;
    });

    it("a password that stopped working is re-provisioned: 401, then a new password, and the old one is refused", async () => {
      assert.ok(account);
      // Someone resets the operator's password with dfsctl; the stored tokens are gone too.
      await s.dfsctl("user", "password", OPERATOR_USERNAME, "--password", "changed-behind-our-back");
      const stale: Account = { username: OPERATOR_USERNAME, password: account.password };
      const wrong = await rejected(s.client.login(OPERATOR_USERNAME, account.password));
      assert.equal(wrong.kind, "unauthorized");
      assert.ok(!wrong.message.includes(account.password), "the refused password is not in the error");

      const { api, calls } = counting(s.client);
      const result = await ensureAccount(api, { account: stale, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "operator-password-2" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));
      assert.deepEqual(calls, ["login", "login", "createUser", "updateUser", "resetPassword", "login", "changeOwnPassword"]);
      assert.ok(result.kind === "authenticated" && result.provisioned && result.account.password === "operator-password-2");
      assert.equal((await rejected(s.client.login(OPERATOR_USERNAME, "changed-behind-our-back"))).kind, "unauthorized");
      account = result.account;
    });

    it("the reference's operator-role k8s-operator is taken over: raised to admin, with a new password", async () => {
      assert.ok(account);
      await s.client.updateUser(s.adminToken, OPERATOR_USERNAME, { role: "operator" });
      const { api, calls } = counting(s.client);
      const result = await ensureAccount(api, { account: { username: OPERATOR_USERNAME, password: account.password }, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "operator-password-3" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));
      assert.deepEqual(calls, ["login", "login", "createUser", "updateUser", "resetPassword", "login", "changeOwnPassword"]);
      if (result.kind !== "authenticated") return;
      assert.equal((await s.client.me(result.token)).role, "admin");
      assert.equal((await s.client.nfsSettings(result.token)).portmapperEnabled, false, "admin-only calls work again");
      account = result.account;
    });

    it("a wrong admin password ends in AuthenticationFailed after one admin login, naming no secret", async () => {
      const { api, calls } = counting(s.client);
      const result = await ensureAccount(api, { account: undefined, adminPassword: "not-the-admin-password", now: Date.now(), newPassword: () => "unused-password" });
      assert.deepEqual(calls, ["login"]);
      assert.ok(result.kind === "failed" && result.cause === "adminRefused", JSON.stringify(result));
      assert.match(result.message, /HTTP 401/);
      assert.ok(!result.message.includes("not-the-admin-password") && !JSON.stringify(result.error).includes("not-the-admin-password"));
    });
  });

  describe("adapters", () => {
    let s: Booted;
    let token = "";
    before(async () => {
      s = await boot("adapters");
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "adapters-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));
      token = result.kind === "authenticated" ? result.token : "";
    });

    async function untilAdapters(what: string, check: (list: Awaited<ReturnType<DittoFsClient["listAdapters"]>>) => boolean) {
      let last: unknown;
      for (let attempt = 0; attempt < 40; attempt++) {
        const list = await s.client.listAdapters(token);
        if (check(list)) return list;
        last = list;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.fail(`${what}: adapter list stayed ${JSON.stringify(last)}`);
    }

    it("lists NFS and SMB running and healthy on the ports they were moved to; the server is serving", async () => {
      const list = await untilAdapters("both healthy", (l) => l.length === 2 && l.every((a) => a.running && a.health.status === "healthy"));
      assert.deepEqual(list.map((a) => a.type).sort(), ["nfs", "smb"]);
      const liveness = await s.client.health();
      assert.deepEqual(liveness, { status: "healthy", controlPlaneDb: "reachable" });
      assert.equal(serving(list, liveness).serving, true, JSON.stringify(list));
    });

    it("SMB disabled with dfsctl: listed as disabled and not running, and its Service is no longer desired", async () => {
      await s.dfsctl("adapter", "disable", "smb");
      const list = await untilAdapters("smb disabled", (l) => l.some((a) => a.type === "smb" && !a.enabled && !a.running));
      const server = defaulted(manifest("adapters"));
      assert.deepEqual(desiredAdapterServices(server, list, undefined).map((o) => o.metadata.name), ["adapters-adapter-nfs"]);
      assert.equal(serving(list).serving, true, "a disabled adapter does not make the server unready");
    });

    it("NFS moved with dfsctl: the listed port, and so the Service port, follow", async () => {
      const lease = await allocatePorts(1);
      try {
        await s.dfsctl("adapter", "edit", "nfs", "--port", String(lease.ports[0]));
        const list = await untilAdapters("nfs moved", (l) => l.some((a) => a.type === "nfs" && a.port === lease.ports[0] && a.running && a.health.status === "healthy"));
        const nfs = list.find((a) => a.type === "nfs")!;
        assert.deepEqual(adapterServicePorts(nfs, undefined)[0], { name: "adapter-nfs", port: lease.ports[0], targetPort: lease.ports[0], protocol: "TCP" });
      } finally {
        lease.release();
      }
    });

    it("portmapper enabled through the API: the NFS settings say so, and the Service maps 111 to its port", async () => {
      const lease = await allocatePorts(1);
      try {
        const patched = await s.client.patchNfsSettings(token, { portmapper_enabled: true, portmapper_port: lease.ports[0]! });
        assert.deepEqual(patched, { portmapperEnabled: true, portmapperPort: lease.ports[0] });
        const settings = await s.client.nfsSettings(token);
        assert.deepEqual(settings, patched);
        const nfs = (await s.client.listAdapters(token)).find((a) => a.type === "nfs")!;
        const portmap = adapterServicePorts(nfs, settings).filter((p) => p.name.startsWith("portmap"));
        assert.deepEqual(portmap.map((p) => `${p.port}->${p.targetPort}/${p.protocol}`), [`111->${lease.ports[0]}/TCP`, `111->${lease.ports[0]}/UDP`]);
      } finally {
        lease.release();
      }
    });

    it("an adapter whose port is taken is reported unhealthy with the server's message, and the server is not serving", async () => {
      const lease = await allocatePorts(1);
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(lease.ports[0], "0.0.0.0", resolve));
      try {
        await s.dfsctl("adapter", "edit", "nfs", "--port", String(lease.ports[0]));
        const list = await untilAdapters("nfs failing", (l) => l.some((a) => a.type === "nfs" && a.port === lease.ports[0] && a.health.status !== "healthy"));
        const verdict = serving(list);
        assert.equal(verdict.serving, false);
        if (verdict.serving) return;
        assert.equal(verdict.adapter, "nfs");
        const nfs = list.find((a) => a.type === "nfs")!;
        assert.ok(nfs.health.message.length > 0, `the server gives a reason: ${JSON.stringify(nfs)}`);
        assert.ok(verdict.message.includes(nfs.health.message), verdict.message);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
        lease.release();
      }
    });
  });

  describe("snapshot policies", () => {
    let s: Booted;
    let token = "";
    let record: SnapshotPolicyStatus[] = [];
    before(async () => {
      s = await boot("policies");
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "policies-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));
      token = result.kind === "authenticated" ? result.token : "";
      await s.dfsctl("store", "metadata", "add", "--name", "meta", "--type", "memory");
      await s.dfsctl("store", "block", "local", "add", "--name", "local", "--type", "memory");
      for (const share of ["/export", "/archive", "/manual"]) await s.dfsctl("share", "create", "--name", share, "--metadata", "meta", "--local", "local");
    });

    /** One pass of the operator's policy sync, with the client: plan, calls, next record. */
    async function sync(desired: SnapshotPolicySpec[]): Promise<PolicyOutcome[]> {
      const plan = planSnapshotPolicies(desired, await s.client.listSnapshotPolicies(token), record);
      const outcomes: PolicyOutcome[] = [];
      for (const { share, body } of plan.put) {
        try {
          await s.client.putSnapshotPolicy(token, share, body);
          outcomes.push({ share, op: "put", result: "ok" });
        } catch (err) {
          if (isDittoFsError(err, "notFound")) outcomes.push({ share, op: "put", result: "shareNotFound", message: err.message });
          else if (isDittoFsError(err, "rejected")) outcomes.push({ share, op: "put", result: "rejected", message: err.message });
          else throw err;
        }
      }
      for (const share of plan.remove) {
        await s.client.deleteSnapshotPolicy(token, share);
        outcomes.push({ share, op: "remove", result: "ok" });
      }
      record = nextPolicyRecord(plan, outcomes, record);
      return outcomes;
    }

    const spec: SnapshotPolicySpec[] = [
      { share: "/export", interval: "@daily", keepLast: 7 },
      { share: "archive", interval: "6h", ttl: "720h", namePrefix: "k8s", enabled: false },
    ];

    it("applies the spec; dfsctl shows the policies; a second pass makes no call", async () => {
      const first = await sync(spec);
      assert.deepEqual(first.map((o) => `${o.op} ${o.share} ${o.result}`), ["put /export ok", "put /archive ok"]);
      const shown = await s.dfsctl("share", "snapshot-policy", "show", "/archive", "-o", "json");
      assert.match(shown, /6h0m0s/);
      assert.match(shown, /"k8s"/);
      const archive = await s.client.getSnapshotPolicy(token, "/archive");
      assert.deepEqual(archive, { share: "/archive", interval: "6h0m0s", keepLast: 0, ttl: "720h0m0s", enabled: false, namePrefix: "k8s" });
      assert.deepEqual(await sync(spec), [], "in sync: nothing to write");
      assert.deepEqual(record, [{ share: "/archive", state: "Applied" }, { share: "/export", state: "Applied" }]);
    });

    it("drift made with dfsctl is reverted; a policy dfsctl made for another share is left alone", async () => {
      await s.dfsctl("share", "snapshot-policy", "set", "/export", "--interval", "1h", "--keep-last", "2");
      await s.dfsctl("share", "snapshot-policy", "set", "/manual", "--interval", "@weekly");
      assert.deepEqual((await sync(spec)).map((o) => `${o.op} ${o.share}`), ["put /export"]);
      const exported = await s.client.getSnapshotPolicy(token, "/export");
      assert.equal(exported.interval, "24h0m0s");
      assert.equal(exported.keepLast, 7);
      assert.ok((await s.client.listSnapshotPolicies(token)).some((p) => p.share === "/manual"));
    });

    it("a policy removed from the spec is deleted from the server; dfsctl's own policy stays", async () => {
      assert.deepEqual((await sync([spec[0]!])).map((o) => `${o.op} ${o.share}`), ["remove /archive"]);
      assert.equal((await rejected(s.client.getSnapshotPolicy(token, "/archive"))).kind, "notFound");
      assert.deepEqual((await s.client.listSnapshotPolicies(token)).map((p) => p.share).sort(), ["/export", "/manual"]);
      assert.deepEqual(record, [{ share: "/export", state: "Applied" }]);
    });

    it("a missing share answers 404 and is recorded as ShareNotFound, naming it", async () => {
      const outcomes = await sync([...spec.slice(0, 1), { share: "/nowhere", interval: "1h" }]);
      assert.equal(outcomes.length, 1);
      assert.equal(outcomes[0]!.result, "shareNotFound");
      assert.deepEqual(record.find((e) => e.share === "/nowhere")?.state, "ShareNotFound");
      const err = await rejected(s.client.putSnapshotPolicy(token, "/nowhere", { interval: "1h" }));
      assert.equal(err.status, 404);
    });

    it("invalid values are rejected with the server's reason (400)", async () => {
      const err = await rejected(s.client.putSnapshotPolicy(token, "/export", { interval: "1h", ttl: "-5m" }));
      assert.equal(err.kind, "rejected");
      assert.match(err.message, /ttl/);
    });
  });

  describe("TLS", () => {
    const tlsSpec = { controlPlane: { certSecretName: "api-cert" } };
    const mtlsSpec = { controlPlane: { tls: true, certSecretName: "api-cert", clientCASecretName: "api-client-ca" } };

    it("verifies the server against the CA for the API Service's name while dialing 127.0.0.1", async () => {
      const s = await boot("tls", tlsSpec, { ca: pki.ca.cert, serverName: apiDns("tls") });
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "tls-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));

      const wrongName = clientFor(s.session, { ca: pki.ca.cert, serverName: "someone-else.contract.svc" });
      const byName = await rejected(wrongName.login("admin", s.adminPassword));
      assert.equal(byName.kind, "tls", byName.message);
      const otherCa = makePki(join(work, "other-pki"), [apiDns("tls")]);
      const byCa = await rejected(clientFor(s.session, { ca: otherCa.ca.cert, serverName: apiDns("tls") }).login("admin", s.adminPassword));
      assert.equal(byCa.kind, "tls", byCa.message);
      const walk = await ensureAccount(wrongName, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "x-password" });
      assert.ok(walk.kind === "failed" && walk.cause === "tls", JSON.stringify(walk));
    });

    it("mTLS: works with the operator's client certificate; without it the walk fails with a TLS cause, once", async () => {
      const withCert = { ca: pki.ca.cert, serverName: apiDns("mtls"), clientCertificate: { cert: pki.client.cert, key: pki.client.key } };
      const s = await boot("mtls", mtlsSpec, withCert);
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "mtls-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));

      const { api, calls } = counting(clientFor(s.session, { ca: pki.ca.cert, serverName: apiDns("mtls") }));
      const walk = await ensureAccount(api, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "x-password" });
      assert.deepEqual(calls, ["login"]);
      assert.ok(walk.kind === "failed" && walk.cause === "tls", JSON.stringify(walk));
    });
  });
});
