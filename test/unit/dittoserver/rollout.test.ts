/** End to end through the pure pipeline: which edits roll the pod (change the template hash) and which do not. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoServer } from "../../../src/api/types.ts";
import { desiredConfigMap, renderConfig } from "../../../src/dittoserver/config.ts";
import { configHash } from "../../../src/dittoserver/hash.ts";
import { desiredJwtSecret, desiredAdminSecret } from "../../../src/dittoserver/secrets.ts";
import { consumedSecrets, referencedSecrets } from "../../../src/dittoserver/secretrefs.ts";
import { desiredServices } from "../../../src/dittoserver/services.ts";
import { desiredStatefulSet } from "../../../src/dittoserver/statefulset.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { at, secret, server } from "./fixtures.ts";

const SENTINEL = "S3NTINEL-value-that-must-stay-secret";

function world(extra: Record<string, string> = {}): Map<string, KubeObject> {
  return new Map([
    ["fs1-jwt-secret", secret("fs1-jwt-secret", { "jwt-secret": `${SENTINEL}-jwt-0123456789` })],
    ["fs1-admin-bootstrap-credentials", secret("fs1-admin-bootstrap-credentials", { username: "admin", password: `${SENTINEL}-admin` })],
    ["pg", secret("pg", { host: "db", database: "d", user: "u", password: `${SENTINEL}-pg`, ...extra })],
    ["ldap", secret("ldap", { pw: `${SENTINEL}-ldap` })],
    ["mt", secret("mt", { token: `${SENTINEL}-metrics` })],
  ]);
}

function hashOf(s: DittoServer, secrets = world()): string {
  return configHash(renderConfig(s), consumedSecrets(referencedSecrets(s), secrets).hashValues);
}

const base = {
  database: { postgresSecretRef: { name: "pg" } },
  metrics: { enabled: true, bearerTokenSecret: { name: "mt", key: "token" } },
  identity: { ldap: { enabled: true, url: "ldap://x", baseDN: "a", bindDN: "b", bindPasswordSecretRef: { name: "ldap", key: "pw" } } },
};

test("the hash ignores generation, Service annotations and types, Percona-free fields and pod-irrelevant edits", () => {
  const h = hashOf(server(base));
  assert.equal(hashOf(server(base, { generation: 42 })), h, "generation is not hashed");
  assert.equal(hashOf(server({ ...base, service: { type: "LoadBalancer", annotations: { a: "b" } } })), h);
  assert.equal(hashOf(server({ ...base, adapterServices: { annotations: { "lb/x": "y" } } })), h);
  assert.equal(hashOf(server({ ...base, podAnnotations: { x: "y" } })), h, "pod annotations roll the pod by themselves, not through the hash");
});

test("the hash changes with the rendered config and with every consumed Secret value", () => {
  const h = hashOf(server(base));
  assert.notEqual(hashOf(server({ ...base, logging: { level: "DEBUG" } })), h);
  assert.notEqual(hashOf(server({ ...base, shutdownTimeout: "45s" })), h);
  const rotate = (name: string, data: Record<string, string>) => {
    const w = world();
    w.set(name, secret(name, data));
    return hashOf(server(base), w);
  };
  assert.notEqual(rotate("fs1-jwt-secret", { "jwt-secret": "another-jwt-secret-0123456789abcdef" }), h);
  assert.notEqual(rotate("fs1-admin-bootstrap-credentials", { username: "admin", password: "p2" }), h);
  assert.notEqual(rotate("ldap", { pw: "new" }), h, "LDAP bind password is hashed (the reference missed it)");
  assert.notEqual(rotate("mt", { token: "new" }), h, "metrics token is hashed (the reference missed it)");
  assert.notEqual(hashOf(server(base), world({ sslmode: "require" })), h, "adding an optional key rolls the pod so the env picks it up");
});

test("no Secret value reaches the ConfigMap, the StatefulSet or the Services", () => {
  const s = server(base);
  const gen = [desiredJwtSecret(s, new Uint8Array(32).fill(1)), desiredAdminSecret(s, new Uint8Array(18).fill(2))];
  const hash = hashOf(s);
  const rendered = JSON.stringify([desiredConfigMap(s), desiredStatefulSet(s, hash), ...desiredServices(s)]);
  assert.ok(!rendered.includes(SENTINEL));
  const generatedValues = [at(gen[0], "data", "jwt-secret"), at(gen[1], "data", "password")].map((v) => Buffer.from(String(v), "base64").toString("utf8"));
  for (const value of generatedValues) {
    assert.ok(value.length >= 24);
    assert.ok(!rendered.includes(value), "generated values only live in their Secret");
  }
});
