import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { configDataChanged, configObject, desiredConfigMap, renderConfig } from "../../../src/dittoserver/config.ts";
import { at, server } from "./fixtures.ts";

/** Top-level and nested keys DittoFS v0.29.0 knows (docs: dittofs-server.md §3). */
const KNOWN_TOP = new Set(["logging", "shutdown_timeout", "database", "controlplane", "admin", "kerberos", "blockstore", "metadata", "gc", "snapshot", "metrics", "identity", "ldap"]);
const KNOWN_CONTROLPLANE = new Set(["host", "port", "read_timeout", "write_timeout", "idle_timeout", "drain_stall_timeout", "pprof", "require_initial_password_change", "jwt", "tls"]);

function parsed(spec: Record<string, unknown>): Record<string, unknown> {
  return parse(renderConfig(server(spec))) as Record<string, unknown>;
}

test("defaults: sqlite on the control-plane volume, pod-friendly logging, API on 0.0.0.0, canonical durations", () => {
  assert.equal(
    renderConfig(server()),
    [
      "logging:",
      "  level: INFO",
      "  format: json",
      "  output: stdout",
      "shutdown_timeout: 30s",
      "database:",
      "  type: sqlite",
      "  sqlite:",
      "    path: /data/controlplane/controlplane.db",
      "controlplane:",
      "  host: 0.0.0.0",
      "  port: 8080",
      "  jwt:",
      "    access_token_duration: 15m0s",
      "    refresh_token_duration: 168h0m0s",
      "",
    ].join("\n"),
  );
});

test("only keys the server knows, in a deterministic order", () => {
  const spec = {
    metrics: { enabled: true, bearerTokenSecret: { name: "m", key: "t" } },
    controlPlane: { certSecretName: "tls", clientCASecretName: "ca" },
    identity: {
      ldap: { enabled: true, url: "ldaps://dc:636", baseDN: "dc=x", bindDN: "cn=svc,dc=x", bindPasswordSecretRef: { name: "l", key: "p" } },
      kerberos: { enabled: true, servicePrincipal: "nfs/h@EX.COM", keytabSecretRef: { name: "k", key: "keytab" } },
    },
  };
  const config = parsed(spec);
  for (const key of Object.keys(config)) assert.ok(KNOWN_TOP.has(key), `unknown top-level key ${key}`);
  for (const key of Object.keys(config.controlplane as object)) assert.ok(KNOWN_CONTROLPLANE.has(key), `unknown controlplane key ${key}`);
  assert.deepEqual(Object.keys(config), ["logging", "shutdown_timeout", "database", "controlplane", "metrics", "ldap", "kerberos"]);
  assert.equal(renderConfig(server(spec)), renderConfig(server(spec)));
});

test("logging and shutdown_timeout follow the spec", () => {
  const config = parsed({ logging: { level: "DEBUG", format: "text", output: "stderr" }, shutdownTimeout: "1m30s" });
  assert.deepEqual(config.logging, { level: "DEBUG", format: "text", output: "stderr" });
  assert.equal(config.shutdown_timeout, "1m30s");
  assert.equal(parsed({ shutdownTimeout: "90s" }).shutdown_timeout, "1m30s");
  assert.equal(at(parsed({ identity: { jwt: { accessTokenDuration: "1h", refreshTokenDuration: "30m" } } }), "controlplane", "jwt", "access_token_duration"), "1h0m0s");
});

test("custom sqlite path", () => {
  assert.deepEqual(parsed({ database: { sqlite: { path: "/data/controlplane/x.db" } } }).database, { type: "sqlite", sqlite: { path: "/data/controlplane/x.db" } });
});

test("external postgres: type only, every connection setting comes from env", () => {
  const config = parsed({ database: { type: "postgres", postgresSecretRef: { name: "pg" } } });
  assert.deepEqual(config.database, { type: "postgres" });
  assert.doesNotMatch(renderConfig(server({ database: { postgresSecretRef: { name: "pg" } } })), /placeholder|password|user|postgres:/);
});

test("Percona: postgres with a deliberate sslmode, no credentials", () => {
  const config = parsed({ percona: { enabled: true } });
  assert.deepEqual(config.database, { type: "postgres", postgres: { sslmode: "require" } });
});

test("TLS and mTLS point at the mounted Secret files", () => {
  assert.deepEqual(at(parsed({ controlPlane: { certSecretName: "tls" } }), "controlplane", "tls"), { cert_file: "/tls/tls.crt", key_file: "/tls/tls.key" });
  assert.deepEqual(at(parsed({ controlPlane: { certSecretName: "tls", clientCASecretName: "ca" } }), "controlplane", "tls"), {
    cert_file: "/tls/tls.crt",
    key_file: "/tls/tls.key",
    client_ca: "/tls-client-ca/ca.crt",
  });
  assert.equal(at(parsed({}), "controlplane", "tls"), undefined);
});

test("metrics: absent when off; reachable host; token auth through a file", () => {
  assert.equal(parsed({ metrics: { enabled: false } }).metrics, undefined);
  assert.deepEqual(parsed({ metrics: { enabled: true, port: 9100, path: "/m" } }).metrics, { enabled: true, host: "0.0.0.0", port: 9100, path: "/m", auth: "none" });
  assert.deepEqual(parsed({ metrics: { enabled: true, bearerTokenSecret: { name: "m", key: "t" } } }).metrics, {
    enabled: true, host: "0.0.0.0", port: 9090, path: "/metrics", auth: "token", token_file: "/metrics-token/token",
  });
});

test("LDAP: rendered when enabled, without the bind password", () => {
  const ldap = parsed({
    identity: {
      ldap: {
        enabled: true, url: "ldap://dc:389", startTLS: true, baseDN: "dc=x", bindDN: "cn=svc,dc=x", userAttr: "uid", idmap: "rid",
        nestedGroups: true, caCertFile: "/etc/ca.pem", bindPasswordSecretRef: { name: "l", key: "p" },
      },
    },
  }).ldap;
  assert.deepEqual(ldap, {
    enabled: true, url: "ldap://dc:389", start_tls: true, base_dn: "dc=x", bind_dn: "cn=svc,dc=x", user_attr: "uid", idmap: "rid",
    nested_groups: true, tls: { ca_cert_file: "/etc/ca.pem" },
  });
  assert.equal(parsed({ identity: { ldap: { enabled: false, url: "ldap://x", baseDN: "a", bindDN: "b" } } }).ldap, undefined);
});

test("Kerberos: mounted keytab, krb5.conf and machine account paths", () => {
  const kerberos = parsed({
    identity: {
      kerberos: {
        enabled: true, servicePrincipal: "cifs/h.ex.com@EX.COM", realm: "EX.COM", netbiosDomain: "EX",
        keytabSecretRef: { name: "k", key: "keytab" }, krb5ConfSecretRef: { name: "k5", key: "krb5.conf" },
        machineAccount: { enabled: true, accountName: "DITTO$", secretRef: { name: "m", key: "pw" }, keytabSecretRef: { name: "mk", key: "kt" }, dcAddress: ["dc1"] },
      },
    },
  }).kerberos;
  assert.deepEqual(kerberos, {
    enabled: true, keytab_path: "/kerberos/dittofs.keytab", service_principal: "cifs/h.ex.com@EX.COM", realm: "EX.COM", netbios_domain: "EX",
    krb5_conf: "/kerberos-krb5/krb5.conf",
    machine_account: { enabled: true, account_name: "DITTO$", keytab_path: "/kerberos-machine/machine.keytab", dc_address: ["dc1"] },
  });
  const pathOnly = parsed({ identity: { kerberos: { enabled: true, servicePrincipal: "nfs/h@R", keytabSecretRef: { name: "k", key: "t" }, krb5Conf: "/etc/krb5.conf" } } });
  assert.equal(at(pathOnly, "kerberos", "krb5_conf"), "/etc/krb5.conf");
  assert.equal(parsed({ identity: { kerberos: { enabled: false } } }).kerberos, undefined);
});

test("ConfigMap carries config.yaml, labels and the owner; change detection", () => {
  const s = server();
  const cm = desiredConfigMap(s);
  assert.equal(cm.metadata.name, "fs1-config");
  assert.equal(at(cm, "data", "config.yaml"), renderConfig(s));
  assert.equal(cm.metadata.labels?.["app.kubernetes.io/component"], "config");
  assert.equal(cm.metadata.ownerReferences?.[0]?.uid, "uid-1");
  assert.equal(configDataChanged(undefined, renderConfig(s)), true);
  assert.equal(configDataChanged(cm, renderConfig(s)), false);
  assert.equal(configDataChanged(cm, renderConfig(server({ logging: { level: "WARN" } }))), true);
  assert.equal(typeof configObject(s), "object");
});
