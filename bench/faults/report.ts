/** The fault suite's rows and their printout: one row per scenario, its figures and PASS/FAIL. Pure. */

export interface FaultRow {
  scenario: string;
  /** Figure name → value, in the order printed. */
  figures: Record<string, string | number | boolean | null>;
  /** Each condition that must hold for PASS, with whether it held. */
  checks: Record<string, boolean>;
}

export function passed(row: FaultRow): boolean {
  return Object.values(row.checks).every(Boolean);
}

function cell(value: string | number | boolean | null): string {
  if (value === null) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(1);
  return String(value);
}

/** A Markdown table: scenario, result, figures (`name value; …`), and the checks that failed. */
export function markdownTable(rows: readonly FaultRow[]): string {
  const lines = ["| scenario | result | figures | failed checks |", "|---|---|---|---|"];
  for (const r of rows) {
    const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${cell(v)}`).join("; ");
    const failed = Object.entries(r.checks).filter(([, ok]) => !ok).map(([k]) => k);
    lines.push(`| ${r.scenario} | ${passed(r) ? "PASS" : "FAIL"} | ${figures} | ${failed.length ? failed.join("; ") : "—"} |`);
  }
  return lines.join("\n");
}

/** What each row checked, one line per condition. */
export function checkLines(rows: readonly FaultRow[]): string[] {
  return rows.flatMap((r) => Object.entries(r.checks).map(([k, ok]) => `${ok ? "PASS" : "FAIL"} ${r.scenario}: ${k}`));
}
