import { test } from "node:test";
import assert from "node:assert/strict";
import { ADMIN_PASSWORD_BYTES, desiredAdminSecret, desiredJwtSecret, generatedSecretAction, JWT_SECRET_BYTES } from "../../../src/dittoserver/secrets.ts";
import { consumedSecrets, referencedSecretNames, referencedSecrets } from "../../../src/dittoserver/secretrefs.ts";
import { at, secret, server } from "./fixtures.ts";

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
const decoded = (obj: unknown, key: string) => Buffer.from(String(at(obj, "data", key)), "base64").toString("utf8");

test("generated JWT Secret: 43 base64url characters from 32 random bytes", () => {
  const s = desiredJwtSecret(server(), bytes(JWT_SECRET_BYTES));
  assert.ok(s);
  assert.equal(s.metadata.name, "fs1-jwt-secret");
  const value = decoded(s, "jwt-secret");
  assert.equal(value.length, 43);
  assert.ok(value.length >= 32);
  assert.match(value, /^[A-Za-z0-9_-]+$/);
  assert.equal(value, Buffer.from(bytes(32)).toString("base64url"), "the value is derived from the given bytes only");
  assert.equal(s.metadata.ownerReferences?.[0]?.kind, "DittoServer");
  assert.notEqual(decoded(desiredJwtSecret(server(), bytes(32, 9)), "jwt-secret"), value);
});

test("generated admin Secret: admin + 24-character password", () => {
  const s = desiredAdminSecret(server(), bytes(ADMIN_PASSWORD_BYTES));
  assert.equal(s?.metadata.name, "fs1-admin-bootstrap-credentials");
  assert.equal(decoded(s, "username"), "admin");
  assert.equal(decoded(s, "password").length, 24);
});

test("no generated Secret when the user references one; too few bytes is an error", () => {
  assert.equal(desiredJwtSecret(server({ identity: { jwt: { secretRef: { name: "j", key: "k" } } } }), bytes(32)), undefined);
  assert.equal(desiredAdminSecret(server({ identity: { admin: { passwordSecretRef: { name: "a", key: "p" } } } }), bytes(18)), undefined);
  assert.throws(() => desiredJwtSecret(server(), bytes(16)), /needs 32 random bytes, got 16/);
});

test("generatedSecretAction: create when absent, never overwrite, fill only missing keys", () => {
  const desired = desiredAdminSecret(server(), bytes(18))!;
  assert.deepEqual(generatedSecretAction(desired, undefined), { action: "create", object: desired });
  const existing = secret("fs1-admin-bootstrap-credentials", { username: "admin", password: "old-password-kept" });
  assert.deepEqual(generatedSecretAction(desired, existing), { action: "none" });
  const partial = secret("fs1-admin-bootstrap-credentials", { password: "old-password-kept" });
  const action = generatedSecretAction(desired, partial);
  assert.equal(action.action, "addKeys");
  if (action.action === "addKeys") {
    assert.deepEqual(action.keys, ["username"]);
    assert.deepEqual(Object.keys(action.patch.data), ["username"], "the existing password is not in the patch");
  }
  assert.deepEqual(generatedSecretAction(undefined, undefined), { action: "none" });
});

test("referencedSecrets lists every consumed key with its source and restart semantics", () => {
  const s = server({
    identity: {
      jwt: { secretRef: { name: "jwt", key: "k" } },
      ldap: { enabled: true, url: "ldap://x", baseDN: "a", bindDN: "b", bindPasswordSecretRef: { name: "ldap", key: "pw" } },
      kerberos: {
        enabled: true, servicePrincipal: "n/h@R", keytabSecretRef: { name: "kt", key: "keytab" }, krb5ConfSecretRef: { name: "k5", key: "conf" },
        machineAccount: { enabled: true, accountName: "A$", secretRef: { name: "ma", key: "pw" }, keytabSecretRef: { name: "mk", key: "kt" } },
      },
    },
    database: { postgresSecretRef: { name: "pg" } },
    controlPlane: { certSecretName: "tls", clientCASecretName: "ca" },
    metrics: { enabled: true, bearerTokenSecret: { name: "mt", key: "token" } },
  });
  const uses = referencedSecrets(s);
  const summary = uses.map((u) => `${u.name}/${u.key}:${u.source}${u.optional ? ":opt" : ""}${u.restartOnChange ? "" : ":hot"}`);
  assert.deepEqual(summary, [
    "jwt/k:user",
    "fs1-admin-bootstrap-credentials/password:operator",
    "pg/host:user", "pg/port:user:opt", "pg/database:user", "pg/user:user", "pg/password:user", "pg/sslmode:user:opt",
    "ldap/pw:user",
    "kt/keytab:user", "k5/conf:user", "ma/pw:user", "mk/kt:user",
    "tls/tls.crt:user:hot", "tls/tls.key:user:hot", "ca/ca.crt:user",
    "mt/token:user",
  ]);
  assert.deepEqual(referencedSecretNames(s), ["ca", "fs1-admin-bootstrap-credentials", "jwt", "k5", "kt", "ldap", "ma", "mk", "mt", "pg", "tls"]);
  const percona = referencedSecrets(server({ percona: { enabled: true } })).filter((u) => u.source === "percona");
  assert.deepEqual(percona.map((u) => u.key), ["host", "port", "dbname", "user", "password"]);
  assert.ok(percona.every((u) => u.name === "fs1-postgres-pguser-dittofs"));
  const disabled = referencedSecrets(server({ metrics: { enabled: false, bearerTokenSecret: { name: "mt", key: "t" } }, identity: { kerberos: { enabled: false, keytabSecretRef: { name: "kt", key: "k" } } } }));
  assert.deepEqual(disabled.map((u) => u.name), ["fs1-jwt-secret", "fs1-admin-bootstrap-credentials"], "disabled features consume nothing");
});

test("consumedSecrets: missing Secrets and keys, optional keys, hot-reloaded keys outside the hash", () => {
  const s = server({ database: { postgresSecretRef: { name: "pg" } }, controlPlane: { certSecretName: "tls" } });
  const uses = referencedSecrets(s);
  const observed = new Map([
    ["fs1-jwt-secret", secret("fs1-jwt-secret", { "jwt-secret": "x".repeat(43) })],
    ["pg", secret("pg", { host: "db", database: "d", user: "u" })],
    ["tls", secret("tls", { "tls.crt": "C", "tls.key": "K" })],
  ]);
  const { hashValues, missing } = consumedSecrets(uses, observed);
  assert.deepEqual(missing.map((m) => `${m.name}/${m.key}:${m.secretAbsent ? "absent" : "keyMissing"}`), [
    "fs1-admin-bootstrap-credentials/password:absent",
    "pg/password:keyMissing",
  ]);
  assert.ok("pg/port" in hashValues && hashValues["pg/port"] === undefined, "absent optional keys are hashed as absent");
  assert.equal(hashValues["pg/host"], Buffer.from("db").toString("base64"));
  assert.ok(!("tls/tls.crt" in hashValues), "hot-reloaded certificate stays out of the hash");
});
