/** docs/conditions.md documents every condition, reason and event of the bound kinds (framework and DittoShare). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SHARE_EVENT, SHARE_REASON } from "../../../src/dittoshare/reasons.ts";
import { BOUND_COND, BOUND_EVENT, BOUND_REASON } from "../../../src/serverbound/reasons.ts";

const doc = readFileSync(new URL("../../../docs/conditions.md", import.meta.url), "utf8");
const guide = readFileSync(new URL("../../../docs/dittoshare.md", import.meta.url), "utf8");

test("every bound-kind condition type, reason and event reason appears in docs/conditions.md", () => {
  const names = [...Object.values(BOUND_COND), ...Object.values(BOUND_REASON), ...Object.values(BOUND_EVENT), ...Object.values(SHARE_REASON), ...Object.values(SHARE_EVENT)];
  assert.deepEqual(names.filter((name) => !doc.includes(`\`${name}\``)), []);
});

test("docs/dittoshare.md names every DittoShare reason", () => {
  assert.deepEqual(Object.values(SHARE_REASON).filter((name) => !guide.includes(`\`${name}\``)), []);
});
