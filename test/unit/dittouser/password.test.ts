/** Where a DittoUser's password comes from: the named Secret or the generated one, and its non-secret version. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { DittoUser } from "../../../src/api/schema/dittouser.ts";
import type { KubeObject } from "../../../src/runtime/objects.ts";
import { generatedPasswordSecret, passwordSource, resolvePassword } from "../../../src/dittouser/password.ts";

function user(ref?: { name: string; key: string }): DittoUser {
  return {
    apiVersion: "dittofs.dittofs.com/v1alpha1",
    kind: "DittoUser",
    metadata: { name: "alice", namespace: "ns", uid: "du-1" },
    spec: { serverRef: { name: "files" }, role: "user", enabled: true, reclaimPolicy: "Retain", ...(ref ? { passwordSecretRef: ref } : {}) },
  };
}

const secret = (data: Record<string, string>, rv = "7"): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "x", uid: "sec-1", resourceVersion: rv },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
});

test("the named Secret and key, or the generated <name>-password", () => {
  assert.deepEqual(passwordSource(user({ name: "pw", key: "pass" })), { name: "pw", key: "pass", generated: false });
  assert.deepEqual(passwordSource(user()), { name: "alice-password", key: "password", generated: true });
});

test("the generated Secret: owned by the DittoUser, a 32-character password from the random bytes", () => {
  const s = generatedPasswordSecret(user(), new Uint8Array(24).fill(7));
  assert.equal(s.metadata.name, "alice-password");
  assert.equal(s.metadata.namespace, "ns");
  assert.deepEqual(s.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [["DittoUser", "du-1", true]]);
  const resolved = resolvePassword(user(), { ...s, metadata: { ...s.metadata, uid: "g", resourceVersion: "1" } });
  assert.ok(resolved.ok);
  assert.equal(resolved.password.value.length, 32);
  assert.throws(() => generatedPasswordSecret(user(), new Uint8Array(8)), /24 random bytes/);
});

test("the password with a version of uid/resourceVersion; a missing Secret or key is a message naming them", () => {
  const resolved = resolvePassword(user({ name: "pw", key: "pass" }), secret({ pass: "hunter22" }));
  assert.deepEqual(resolved, { ok: true, password: { value: "hunter22", version: "sec-1/7" } });
  assert.deepEqual(resolvePassword(user({ name: "pw", key: "pass" }), undefined), { ok: false, message: "Secret pw does not exist" });
  const noKey = resolvePassword(user({ name: "pw", key: "pass" }), secret({ other: "x" }));
  assert.equal(noKey.ok, false);
  assert.ok(!noKey.ok && !noKey.message.includes("x"), "the message never carries Secret data");
  assert.match(!noKey.ok ? noKey.message : "", /has no key pass/);
});
