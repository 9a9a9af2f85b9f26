/** The import rules of docs/architecture.md ("May import"), checked on every file of src/. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";

const SRC = resolve(import.meta.dirname, "../../../src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** `[typeOnly, target relative to src/]` of each relative import of `file`. */
function imports(file: string): [boolean, string][] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^import (type )?[^;]*? from "(\.[^"]+)";/gms)].map((m) => [m[1] !== undefined, relative(SRC, resolve(file, "..", m[2] ?? ""))]);
}

const folder = (path: string): string => path.split("/")[0] ?? "";
/** Folders of the kinds bound to a DittoServer (listed in src/serverbound/registry.ts). */
const BOUND_KINDS = ["dittoshare", "dittouser"];
// A DittoUser reads the DittoShares of its server: a grant a DittoShare declares wins over the DittoUser's own.

test("src/api imports only itself and types of src/runtime/objects.ts; src/runtime only itself; src/dittofs itself and runtime; src/dittoserver api, runtime and dittofs; src/serverbound those and dittoserver (its registry the kinds); a bound kind those and serverbound", () => {
  const broken: string[] = [];
  for (const file of files(SRC)) {
    const from = folder(relative(SRC, file));
    for (const [typeOnly, target] of imports(file)) {
      const to = folder(target);
      const ok =
        from === "api" ? to === "api" || (typeOnly && target === "runtime/objects.ts")
        : from === "runtime" ? to === "runtime"
        : from === "dittofs" ? ["dittofs", "runtime"].includes(to)
        : from === "dittoserver" ? ["dittoserver", "api", "runtime", "dittofs"].includes(to)
        : from === "serverbound" ? ["serverbound", "dittoserver", "api", "runtime", "dittofs"].includes(to) || (relative(SRC, file) === "serverbound/registry.ts" && BOUND_KINDS.includes(to))
        : BOUND_KINDS.includes(from) ? [from, "serverbound", "dittoserver", "api", "runtime", "dittofs"].includes(to) || (from === "dittouser" && to === "dittoshare")
        : true;
      if (!ok) broken.push(`${relative(SRC, file)} → ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});
