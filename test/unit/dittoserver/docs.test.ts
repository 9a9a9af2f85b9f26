/** docs/conditions.md must document every condition type, reason and event the code can produce. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EVENT } from "../../../src/dittoserver/events.ts";
import { COND, REASON } from "../../../src/dittoserver/reasons.ts";

const doc = readFileSync(new URL("../../../docs/conditions.md", import.meta.url), "utf8");

test("every condition type, reason and event reason appears in docs/conditions.md", () => {
  const missing = [...Object.values(COND), ...Object.values(REASON), ...Object.values(EVENT)].filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
