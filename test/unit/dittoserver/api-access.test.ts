import { test } from "node:test";
import assert from "node:assert/strict";
import { accountFromSecretData } from "../../../src/dittofs/account.ts";
import { apiEndpoint, apiServerName, authInputsFingerprint, desiredOperatorCredentialsSecret } from "../../../src/dittoserver/api-access.ts";
import { server } from "./fixtures.ts";

const mtls = { controlPlane: { tls: true, certSecretName: "api-cert", clientCASecretName: "api-ca", operatorClientCertSecretName: "op-cert" } };

test("plain HTTP: the pod IP and the spec's API port, nothing else", () => {
  assert.deepEqual(apiEndpoint(server({ controlPlane: { port: 9000 } }), "10.0.0.7", {}), { ok: true, endpoint: { podIP: "10.0.0.7", port: 9000 } });
});

test("HTTPS: verified against the certificate Secret's ca.crt for the API Service's DNS name", () => {
  const s = server({ controlPlane: { certSecretName: "api-cert" } });
  assert.equal(apiServerName(s), `${s.metadata.name}-api.${s.metadata.namespace}.svc`);
  const result = apiEndpoint(s, "10.0.0.7", { serverCert: { "ca.crt": "CA", "tls.crt": "C", "tls.key": "K" } });
  assert.deepEqual(result, { ok: true, endpoint: { podIP: "10.0.0.7", port: 8080, tls: { ca: "CA", serverName: apiServerName(s), clientCertificate: undefined } } });
  const noCa = apiEndpoint(s, "10.0.0.7", { serverCert: { "tls.crt": "C" } });
  assert.ok(!noCa.ok && /api-cert has no ca.crt/.test(noCa.message));
});

test("mTLS: the operator's client certificate, or a message saying why it cannot authenticate", () => {
  const withCert = apiEndpoint(server(mtls), "10.0.0.7", { serverCert: { "ca.crt": "CA" }, operatorCert: { "tls.crt": "OC", "tls.key": "OK" } });
  assert.ok(withCert.ok);
  assert.deepEqual(withCert.endpoint.tls?.clientCertificate, { cert: "OC", key: "OK" });
  const noField = apiEndpoint(server({ controlPlane: { tls: true, certSecretName: "api-cert", clientCASecretName: "api-ca" } }), "10.0.0.7", { serverCert: { "ca.crt": "CA" } });
  assert.ok(!noField.ok && /operatorClientCertSecretName is not set/.test(noField.message));
  const noKey = apiEndpoint(server(mtls), "10.0.0.7", { serverCert: { "ca.crt": "CA" }, operatorCert: { "tls.crt": "OC" } });
  assert.ok(!noKey.ok && /op-cert needs tls.crt and tls.key/.test(noKey.message));
});

test("the credentials Secret: reference name and keys, owned by the DittoServer, round-trips to the account", () => {
  const s = server();
  const account = { username: "k8s-operator", password: "pw", accessToken: "a.b.c", refreshToken: "d.e.f" };
  const secret = desiredOperatorCredentialsSecret(s, account);
  assert.equal(secret.metadata.name, `${s.metadata.name}-operator-credentials`);
  assert.equal(secret.metadata.ownerReferences?.[0]?.uid, "uid-1");
  const data = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
  assert.deepEqual(Object.keys(data).sort(), ["access-token", "password", "refresh-token", "username"]);
  assert.deepEqual(accountFromSecretData(data), account);
});

test("the inputs fingerprint changes with any input and reveals none", () => {
  const a = authInputsFingerprint("admin-pw", undefined, undefined);
  assert.equal(a, authInputsFingerprint("admin-pw", undefined, undefined));
  assert.notEqual(a, authInputsFingerprint("admin-pw2", undefined, undefined));
  assert.notEqual(a, authInputsFingerprint("admin-pw", { username: "u", password: "p" }, undefined));
  assert.notEqual(authInputsFingerprint("ab", undefined, undefined), authInputsFingerprint("a", { username: "u", password: "b" }, undefined), "length-prefixed");
  assert.ok(!a.includes("admin"));
});
