/** docs/conditions.md documents every reason of the DittoUser and DittoGroup kinds, in their own sections. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { USER_REASONS } from "../../../src/dittouser/reasons.ts";

const doc = readFileSync(new URL("../../../docs/conditions.md", import.meta.url), "utf8");
const sections = doc.split(/^## /m).filter((s) => /^Ditto(User|Group) (conditions|events)\n/.test(s)).join("\n");

test("every DittoUser/DittoGroup reason appears in their sections of docs/conditions.md", () => {
  assert.ok(sections.length > 0, "the sections exist");
  assert.deepEqual(Object.values(USER_REASONS).filter((r) => !sections.includes(`\`${r}\``)), []);
});
