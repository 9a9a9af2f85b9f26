import { test } from "node:test";
import assert from "node:assert/strict";
import { OPERATOR_VERSION } from "../../src/version.ts";

test("version is semver", () => {
  assert.match(OPERATOR_VERSION, /^\d+\.\d+\.\d+$/);
});
