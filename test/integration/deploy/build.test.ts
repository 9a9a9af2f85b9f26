/**
 * What the container image runs: `npm run build` output (tsc with tsconfig.build.json) starts under plain Node
 * without type stripping, and imports nothing but Node built-ins and production dependencies (the image's
 * `npm ci --omit=dev` has no dev dependencies).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { ROOT, run } from "./support.ts";

let outDir = "";
before(async () => {
  // Inside the repository (.cache/ is ignored by git) so the output resolves node_modules like dist/ does.
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  outDir = mkdtempSync(join(ROOT, ".cache", "build-test-"));
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const r = await run(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", outDir]);
  assert.equal(r.code, 0, `build failed:\n${r.stdout}${r.stderr}`);
});
after(() => { rmSync(outDir, { recursive: true, force: true }); });

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".js"))
    .map((e) => join(e.parentPath, e.name));
}

it("emits main.js, which runs (--help) without TypeScript support", async () => {
  const r = await run(process.execPath, ["--no-experimental-strip-types", join(outDir, "main.js"), "--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^dittofs-operator \d+\.\d+\.\d+/);
  assert.match(r.stdout, /--leader-elect/);
});

it("compiled code imports only built-ins, relative .js files and production dependencies", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const allowed = new Set(Object.keys(pkg.dependencies));
  const offending: string[] = [];
  const seen = new Set<string>();
  for (const file of jsFiles(outDir)) {
    const text = readFileSync(file, "utf8");
    // A specifier is one line ending the statement: prose such as `"… removed from " +` in a string is not one.
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"\n]+)";|import\("([^"]+)"\)/g)) {
      const spec = m[1] ?? m[2] ?? "";
      if (spec.startsWith("node:")) continue;
      if (spec.startsWith(".")) {
        if (!spec.endsWith(".js")) offending.push(`${file}: ${spec} (relative import not rewritten to .js)`);
        continue;
      }
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
      seen.add(name);
      if (!allowed.has(name)) offending.push(`${file.slice(outDir.length)}: ${spec}`);
    }
  }
  assert.deepEqual(offending, []);
  assert.ok(seen.has("pino") && seen.has("prom-client"), `the scan found the runtime's dependencies: ${[...seen].join(", ")}`);
});
