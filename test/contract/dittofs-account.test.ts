/**
 * The operator's DittoFS account walk and TLS on the real dfs v0.29.0: provisioning with the generated admin
 * Secret's password, the must-change gate, token refresh, re-provisioning after a password stops working, taking over
 * the reference's account, and TLS verified for the API Service's DNS name while dialing 127.0.0.1, with and without
 * the client certificate mTLS requires.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureAccount, OPERATOR_USERNAME, refreshDueAt } from "../../src/dittofs/account.ts";
import type { Account } from "../../src/dittofs/account.ts";
import { makePki } from "./certs.ts";
import { apiDns, counting, openLab, rejected } from "./dittofs-lab.ts";
import type { Booted, Lab } from "./dittofs-lab.ts";

describe("the operator's DittoFS account and TLS against dfs v0.29.0", () => {
  let lab: Lab;
  before(async () => {
    lab = await openLab("account", ["plain", "tls", "mtls"]);
  });
  after(async () => {
    await lab?.close();
  });

  describe("account", () => {
    let s: Booted;
    let account: Account | undefined;
    before(async () => {
      s = await lab.boot("plain");
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

  describe("TLS", () => {
    const tlsSpec = { controlPlane: { certSecretName: "api-cert" } };
    const mtlsSpec = { controlPlane: { tls: true, certSecretName: "api-cert", clientCASecretName: "api-client-ca" } };

    it("verifies the server against the CA for the API Service's name while dialing 127.0.0.1", async () => {
      const s = await lab.boot("tls", tlsSpec, { ca: lab.pki.ca.cert, serverName: apiDns("tls") });
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "tls-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));

      const wrongName = lab.clientFor(s.session, { ca: lab.pki.ca.cert, serverName: "someone-else.contract.svc" });
      const byName = await rejected(wrongName.login("admin", s.adminPassword));
      assert.equal(byName.kind, "tls", byName.message);
      const otherCa = makePki(join(lab.work, "other-pki"), [apiDns("tls")]);
      const byCa = await rejected(lab.clientFor(s.session, { ca: otherCa.ca.cert, serverName: apiDns("tls") }).login("admin", s.adminPassword));
      assert.equal(byCa.kind, "tls", byCa.message);
      const walk = await ensureAccount(wrongName, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "x-password" });
      assert.ok(walk.kind === "failed" && walk.cause === "tls", JSON.stringify(walk));
    });

    it("mTLS: works with the operator's client certificate; without it the walk fails with a TLS cause, once", async () => {
      const withCert = { ca: lab.pki.ca.cert, serverName: apiDns("mtls"), clientCertificate: { cert: lab.pki.client.cert, key: lab.pki.client.key } };
      const s = await lab.boot("mtls", mtlsSpec, withCert);
      const result = await ensureAccount(s.client, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "mtls-password" });
      assert.equal(result.kind, "authenticated", JSON.stringify(result));

      const { api, calls } = counting(lab.clientFor(s.session, { ca: lab.pki.ca.cert, serverName: apiDns("mtls") }));
      const walk = await ensureAccount(api, { account: undefined, adminPassword: s.adminPassword, now: Date.now(), newPassword: () => "x-password" });
      assert.deepEqual(calls, ["login"]);
      assert.ok(walk.kind === "failed" && walk.cause === "tls", JSON.stringify(walk));
    });
  });
});
