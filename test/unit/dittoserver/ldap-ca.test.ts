/** A private LDAP CA from a Secret: mounted read-only, named in ldap.tls.ca_cert_file, watched and hashed. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { renderConfig } from "../../../src/dittoserver/config.ts";
import { configHash } from "../../../src/dittoserver/hash.ts";
import { consumedSecrets, referencedSecretNames, referencedSecrets } from "../../../src/dittoserver/secretrefs.ts";
import { desiredStatefulSet } from "../../../src/dittoserver/statefulset.ts";
import { asList, at, secret, server } from "./fixtures.ts";

const ldap = (extra: Record<string, unknown>, enabled = true) => ({
  identity: { ldap: { enabled, url: "ldaps://dc:636", baseDN: "dc=x", bindDN: "cn=svc,dc=x", ...extra } },
});

function ldapTls(spec: Record<string, unknown>): unknown {
  return at(parse(renderConfig(server(spec))), "ldap", "tls");
}

test("caCertSecretRef renders ca_cert_file at the mounted path; caCertFile stays as given", () => {
  assert.deepEqual(ldapTls(ldap({ caCertSecretRef: { name: "ldap-ca" } })), { ca_cert_file: "/ldap-ca/ca.crt" });
  assert.deepEqual(ldapTls(ldap({ caCertFile: "/etc/ssl/certs/ca-certificates.crt" })), { ca_cert_file: "/etc/ssl/certs/ca-certificates.crt" });
  assert.equal(ldapTls(ldap({})), undefined);
});

test("the CA Secret key defaults to ca.crt and is mounted read-only at /ldap-ca with a non-world-readable mode", () => {
  const podSpec = at(desiredStatefulSet(server(ldap({ caCertSecretRef: { name: "ldap-ca" } })), "h"), "spec", "template", "spec");
  const volume = asList(at(podSpec, "volumes")).find((v) => v.name === "ldap-ca");
  assert.deepEqual(volume, { name: "ldap-ca", secret: { secretName: "ldap-ca", defaultMode: 0o440, items: [{ key: "ca.crt", path: "ca.crt" }] } });
  const mounts = asList(at(podSpec, "containers", 0, "volumeMounts"));
  assert.deepEqual(mounts.find((m) => m.name === "ldap-ca"), { name: "ldap-ca", mountPath: "/ldap-ca", readOnly: true });

  const renamed = at(desiredStatefulSet(server(ldap({ caCertSecretRef: { name: "corp-ca", key: "bundle.pem" } })), "h"), "spec", "template", "spec");
  const item = at(asList(at(renamed, "volumes")).find((v) => v.name === "ldap-ca"), "secret", "items", 0);
  assert.deepEqual(item, { key: "bundle.pem", path: "ca.crt" });
});

test("nothing is mounted or referenced while LDAP is disabled", () => {
  const s = server(ldap({ caCertSecretRef: { name: "ldap-ca" } }, false));
  const volumes = asList(at(desiredStatefulSet(s, "h"), "spec", "template", "spec", "volumes"));
  assert.equal(volumes.find((v) => v.name === "ldap-ca"), undefined);
  assert.ok(!referencedSecretNames(s).includes("ldap-ca"));
});

test("the CA Secret is referenced (index, watch, missing-key report) and its value rolls the pod", () => {
  const s = server(ldap({ caCertSecretRef: { name: "ldap-ca" } }));
  const use = referencedSecrets(s).find((u) => u.purpose === "ldap.caCert");
  assert.deepEqual(use, { name: "ldap-ca", key: "ca.crt", purpose: "ldap.caCert", source: "user", optional: false, restartOnChange: true });
  assert.ok(referencedSecretNames(s).includes("ldap-ca"));

  const config = renderConfig(s);
  const hashWith = (pem: string) => {
    const secrets = new Map([["ldap-ca", secret("ldap-ca", { "ca.crt": pem })]]);
    return configHash(config, consumedSecrets(referencedSecrets(s), secrets).hashValues);
  };
  assert.notEqual(hashWith("-----BEGIN CERTIFICATE-----\nA\n"), hashWith("-----BEGIN CERTIFICATE-----\nB\n"));
  const missing = consumedSecrets(referencedSecrets(s), new Map()).missing.find((m) => m.purpose === "ldap.caCert");
  assert.deepEqual(missing, { name: "ldap-ca", key: "ca.crt", purpose: "ldap.caCert", source: "user", secretAbsent: true });
});
