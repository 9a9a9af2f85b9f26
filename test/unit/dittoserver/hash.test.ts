import { test } from "node:test";
import assert from "node:assert/strict";
import { configHash, secretValueKey } from "../../../src/dittoserver/hash.ts";

const config = "logging:\n  level: INFO\n";

test("hash is hex SHA-256 and deterministic", () => {
  const h = configHash(config, { [secretValueKey("fs-jwt", "jwt-secret")]: "c2VjcmV0" });
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(h, configHash(config, { [secretValueKey("fs-jwt", "jwt-secret")]: "c2VjcmV0" }));
});

test("hash changes with the config and with any consumed Secret value", () => {
  const base = configHash(config, { "a/k": "MQ==", "b/k": "Mg==" });
  assert.notEqual(configHash(config + "#", { "a/k": "MQ==", "b/k": "Mg==" }), base);
  assert.notEqual(configHash(config, { "a/k": "MQ==", "b/k": "Mw==" }), base);
  assert.notEqual(configHash(config, { "a/k": "MQ==" }), base, "a newly consumed key changes the hash");
});

test("hash ignores the order Secrets were read in", () => {
  assert.equal(configHash(config, { "a/k": "1", "b/k": "2" }), configHash(config, { "b/k": "2", "a/k": "1" }));
});

test("absent, empty and present values hash differently; fields cannot be shifted", () => {
  const absent = configHash(config, { "a/k": undefined });
  const empty = configHash(config, { "a/k": "" });
  assert.notEqual(absent, empty);
  assert.notEqual(configHash(config, {}), absent);
  // Length prefixes: moving bytes between the config and a value must change the hash.
  assert.notEqual(configHash("ab", { "x/y": "c" }), configHash("a", { "x/y": "bc" }));
});
