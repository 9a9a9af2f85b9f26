/**
 * Every condition reason and event reason documented in docs/conditions.md is produced by some integration test.
 * The operator tests record what they observe (test/integration/dittoserver/reasons-seen.ts: a watch on the
 * DittoServers and the events of their namespace) into one file per run; this file runs last (`zz-`, and the
 * runner takes files in alphabetical order with --test-concurrency=1) and compares. Reasons impossible on the
 * test control plane are allow-listed in the docs themselves, each with its why. When the operator test files
 * did not all run in this run (one file run alone), the comparison is skipped and says so.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, it } from "node:test";
import { reasonRecordPath } from "./dittoserver/reasons-seen.ts";
import type { ReasonRecord } from "./dittoserver/reasons-seen.ts";
import { SERVERBOUND_KINDS } from "../../src/serverbound/registry.ts";

const DOCS = new URL("../../docs/conditions.md", import.meta.url);
const OPERATOR_TESTS = new URL("./dittoserver/", import.meta.url);

/** The lines of the `## heading` section. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  assert.ok(start >= 0, `docs/conditions.md has a "## ${heading}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Cells of the table rows of a section (header and separator excluded). */
function tableRows(lines: string[]): string[][] {
  const rows = lines.filter((l) => l.trimStart().startsWith("|")).map((l) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim()));
  return rows.slice(2);
}

function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");
}

/** `condition Type/Reason` and `event Normal|Warning/Reason` keys of the Conditions and Events tables. */
function documentedReasons(markdown: string): Set<string> {
  const out = new Set<string>();
  let type = "";
  for (const [typeCell = "", , reasonCell = ""] of tableRows(section(markdown, "Conditions"))) {
    const named = /^`(\w+)`$/.exec(typeCell);
    if (named) type = named[1] ?? ""; // an empty or annotated cell continues the type above
    for (const reason of codeSpans(reasonCell)) out.add(`condition ${type}/${reason}`);
  }
  for (const [eventType = "", reasonCell = ""] of tableRows(section(markdown, "Events"))) {
    for (const reason of codeSpans(reasonCell)) out.add(`event ${eventType}/${reason}`);
  }
  // A kind bound to a DittoServer documents its reasons in two sections of its own, recorded as `<Kind>:Type/Reason`.
  for (const { kind } of SERVERBOUND_KINDS.map((k) => k.resource)) {
    if (!markdown.includes(`\n## ${kind} conditions\n`)) continue;
    let boundType = "";
    for (const [typeCell = "", , reasonCell = ""] of tableRows(section(markdown, `${kind} conditions`))) {
      const named = /^`(\w+)`$/.exec(typeCell);
      if (named) boundType = named[1] ?? "";
      for (const reason of codeSpans(reasonCell)) out.add(`condition ${kind}:${boundType}/${reason}`);
    }
    for (const [eventType = "", reasonCell = ""] of tableRows(section(markdown, `${kind} events`))) {
      for (const reason of codeSpans(reasonCell)) out.add(`event ${kind}:${eventType}/${reason}`);
    }
  }
  return out;
}

/** The allow-list: `kind` (Condition|Event), `Type/Reason`, why. */
function allowListed(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [kind = "", keys = "", why = ""] of tableRows(section(markdown, "Reasons no test can produce"))) {
    for (const key of codeSpans(keys)) out.set(`${kind.toLowerCase()} ${key}`, why);
  }
  return out;
}

function operatorTestFiles(): string[] {
  return readdirSync(OPERATOR_TESTS)
    .filter((f) => f.endsWith(".test.ts") && readFileSync(new URL(f, OPERATOR_TESTS), "utf8").includes("startOperator("))
    .sort();
}

describe("condition and event reason coverage", () => {
  const markdown = readFileSync(DOCS, "utf8");
  const documented = documentedReasons(markdown);
  const allowed = allowListed(markdown);

  it("reads the docs tables and a justified allow-list of documented reasons", () => {
    for (const known of ["condition Ready/ServerReady", "condition DatabaseReady/PerconaNotFound", "condition Degraded/PodFailing", "event Warning/CleanupTimeout", "event Warning/StorageChangeRefused"]) {
      assert.ok(documented.has(known), `${known} parsed from docs/conditions.md`);
    }
    for (const [key, why] of allowed) {
      assert.ok(documented.has(key), `allow-listed ${key} is in the tables`);
      assert.ok(why.length > 20, `allow-listed ${key} says why`);
    }
  });

  it("every documented reason was observed by this run's operator tests", (t) => {
    const path = reasonRecordPath();
    if (!path || !existsSync(path)) {
      t.skip("no reason record: the operator tests (test/integration/dittoserver) did not run in this run");
      return;
    }
    const records = readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as ReasonRecord);
    const ran = new Set(records.map((r) => r.file));
    const absent = operatorTestFiles().filter((f) => !ran.has(basename(f)));
    if (absent.length > 0) {
      t.skip(`only part of the operator tests ran (missing ${absent.join(", ")}): coverage needs the whole run`);
      return;
    }
    const seen = new Set(records.flatMap((r) => [...r.conditions.map((c) => `condition ${c}`), ...r.events.map((e) => `event ${e}`)]));
    const missing = [...documented].filter((k) => !seen.has(k) && !allowed.has(k)).sort();
    const stale = [...allowed.keys()].filter((k) => seen.has(k)).sort();
    const undocumented = [...seen].filter((k) => !documented.has(k)).sort();
    const problems = [
      ...(missing.length ? [`documented but produced by no test: ${missing.join(", ")}`] : []),
      ...(stale.length ? [`allow-listed but produced (take them off the list in docs/conditions.md): ${stale.join(", ")}`] : []),
      ...(undocumented.length ? [`produced but not in docs/conditions.md: ${undocumented.join(", ")}`] : []),
    ];
    assert.deepEqual(problems, []);
    console.log(`${documented.size} documented reasons: ${documented.size - allowed.size} observed across ${records.length} test files, ${allowed.size} allow-listed`);
  });
});
