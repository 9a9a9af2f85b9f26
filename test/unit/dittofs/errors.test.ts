import { test } from "node:test";
import assert from "node:assert/strict";
import { endpointBase } from "../../../src/dittofs/client.ts";
import { describeBody, httpError, redact, transportError } from "../../../src/dittofs/errors.ts";

const PROBLEM = "application/problem+json";

test("classification by status (dittofs-server.md §10)", () => {
  const kind = (status: number, body = "", type = "text/plain; charset=utf-8") => httpError("GET", "/api/v1/x", status, type, body, []).kind;
  assert.equal(kind(401, "Invalid or expired token\n"), "unauthorized");
  assert.equal(kind(403, "Admin access required\n"), "forbidden");
  assert.equal(
    kind(403, `account "k8s-operator" must set a new password before performing other operations; run 'dfsctl user change-password' (as "k8s-operator") to set one\n`),
    "mustChangePassword",
  );
  assert.equal(kind(404, '{"type":"about:blank","title":"Not Found","status":404,"detail":"share not found"}', PROBLEM), "notFound");
  assert.equal(kind(409), "conflict");
  assert.equal(kind(400), "rejected");
  assert.equal(kind(429), "transient");
  for (const s of [500, 502, 503, 504]) assert.equal(kind(s), "transient");
  const err = httpError("PUT", "/api/v1/shares/%2Fx/snapshot-policy", 400, PROBLEM, '{"title":"Bad Request","status":400,"detail":"invalid ttl: must be >= 0"}', []);
  assert.equal(err.message, "DittoFS API PUT /api/v1/shares/%2Fx/snapshot-policy: HTTP 400: Bad Request: invalid ttl: must be >= 0");
  assert.equal(err.transient, false);
});

test("bodies: problem+json gives title and detail; text keeps its first line; JSON that lies falls back to text", () => {
  assert.deepEqual(describeBody(PROBLEM, '{"title":"Conflict","detail":"User already exists","code":"CONFLICT"}'), { text: "Conflict: User already exists", code: "CONFLICT" });
  assert.deepEqual(describeBody("text/plain", "Authorization header required\n"), { text: "Authorization header required" });
  assert.deepEqual(describeBody("application/json", "<html>"), { text: "<html>" });
});

test("credentials the request carried never appear in an error, longest first", () => {
  assert.equal(redact("a secret-pw and secret", ["secret", "secret-pw"]), "a [redacted] and [redacted]");
  const err = httpError("POST", "/api/v1/auth/login", 400, "text/plain", "bad password hunter2hunter2", ["hunter2hunter2", ""]);
  assert.ok(!err.message.includes("hunter2"), err.message);
  const net = transportError("GET", "/api/v1/adapters", Object.assign(new Error("boom with token eyJabc.def"), { code: "ECONNRESET" }), ["eyJabc.def"]);
  assert.equal(net.kind, "transient");
  assert.ok(!net.message.includes("eyJabc"), net.message);
  assert.ok(!JSON.stringify(net).includes("eyJabc"), "nor in its serialised fields");
});

test("TLS failures are their own kind, not transient", () => {
  for (const code of ["ERR_TLS_CERT_ALTNAME_INVALID", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "DEPTH_ZERO_SELF_SIGNED_CERT", "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "CERT_HAS_EXPIRED"]) {
    assert.equal(transportError("GET", "/", Object.assign(new Error(code), { code }), []).kind, "tls", code);
  }
  for (const code of ["ECONNREFUSED", "EHOSTUNREACH", "ETIMEDOUT", undefined]) {
    assert.equal(transportError("GET", "/", Object.assign(new Error("x"), { code }), []).kind, "transient", String(code));
  }
});

test("the address is built from an IP, a port and a scheme only", () => {
  assert.equal(endpointBase({ podIP: "10.1.2.3", port: 8080 }).href, "http://10.1.2.3:8080/");
  assert.equal(endpointBase({ podIP: "fd00::5", port: 8443, tls: { ca: "", serverName: "fs1-api.ns.svc" } }).href, "https://[fd00::5]:8443/");
  for (const bad of ["evil.example.com", "10.0.0.1/x", "http://10.0.0.1", "10.0.0.1:80", ""]) {
    assert.throws(() => endpointBase({ podIP: bad, port: 8080 }), /must be an IP address/, bad);
  }
  assert.throws(() => endpointBase({ podIP: "10.0.0.1", port: 0 }), /invalid DittoFS API port/);
});
