/**
 * Go `time.Duration` text: parsing (same grammar as `time.ParseDuration`) and canonical formatting (same output
 * as `Duration.String`). DittoFS reads every duration of its config with Go, so the operator validates with the
 * same grammar and renders the canonical form.
 */

const NANOS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3, // U+00B5 micro sign
  "μs": 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Largest duration Go can represent (int64 nanoseconds), about 292 years. */
const MAX_NANOS = 9223372036854775807n;

export type DurationParse = { ok: true; nanoseconds: bigint } | { ok: false; error: string };

/**
 * Parses a Go duration such as `30s`, `1m30s`, `1.5h`, `-2ms`, `0`. Returns a clear error for anything Go
 * would reject (empty string, missing unit, unknown unit, overflow).
 */
export function parseGoDuration(text: string): DurationParse {
  const bad = (why: string): DurationParse => ({ ok: false, error: `invalid duration "${text}": ${why}` });
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return { ok: true, nanoseconds: 0n };
  if (rest === "") return bad("empty");
  let total = 0n;
  const component = /^([0-9]*)(?:\.([0-9]*))?([^0-9.]+)/;
  while (rest !== "") {
    const match = component.exec(rest);
    if (!match) return bad("expected a number followed by a unit (ns, us, ms, s, m, h)");
    const [whole, intPart = "", fracPart, unit = ""] = match;
    if (intPart === "" && (fracPart === undefined || fracPart === "")) return bad("missing number before unit");
    const perUnit = NANOS_PER_UNIT[unit];
    if (perUnit === undefined) return bad(`unknown unit "${unit}"`);
    const unitNanos = BigInt(perUnit);
    let nanos = BigInt(intPart === "" ? "0" : intPart) * unitNanos;
    if (fracPart) {
      // Exact fraction: digits × unit / 10^digits, truncated like Go.
      nanos += (BigInt(fracPart) * unitNanos) / 10n ** BigInt(fracPart.length);
    }
    total += nanos;
    if (total > MAX_NANOS + (negative ? 1n : 0n)) return bad("out of range");
    rest = rest.slice(whole.length);
  }
  return { ok: true, nanoseconds: negative ? -total : total };
}

/** Whole seconds of a parsed duration, rounded up (grace periods must never be shorter than asked). */
export function ceilSeconds(nanoseconds: bigint): number {
  const seconds = nanoseconds / 1_000_000_000n;
  const remainder = nanoseconds % 1_000_000_000n;
  return Number(remainder > 0n ? seconds + 1n : seconds);
}

function trimFraction(digits: string): string {
  return digits.replace(/0+$/, "");
}

/** Canonical Go rendering: `30s`, `1m30s`, `15m0s`, `168h0m0s`, `1.5s`, `250ms`, `0s`. */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return "0s";
  const sign = nanoseconds < 0n ? "-" : "";
  const abs = nanoseconds < 0n ? -nanoseconds : nanoseconds;
  if (abs < 1_000_000_000n) {
    // Sub-second: the largest unit that keeps an integer part, with a decimal fraction.
    const [unit, size] = abs < 1_000n ? ["ns", 1n] : abs < 1_000_000n ? ["µs", 1_000n] : ["ms", 1_000_000n];
    return `${sign}${fixed(abs, size)}${unit}`;
  }
  const hours = abs / 3_600_000_000_000n;
  const minutes = (abs / 60_000_000_000n) % 60n;
  const secondsNanos = abs % 60_000_000_000n;
  const seconds = fixed(secondsNanos, 1_000_000_000n);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / size` as a decimal without trailing zeros. */
function fixed(value: bigint, size: bigint): string {
  const integer = value / size;
  const fraction = value % size;
  if (fraction === 0n) return integer.toString();
  const width = size.toString().length - 1;
  return `${integer}.${trimFraction(fraction.toString().padStart(width, "0"))}`;
}

/** Parses and re-renders in canonical form, or reports the parse error. */
export function canonicalGoDuration(text: string): { ok: true; value: string; nanoseconds: bigint } | { ok: false; error: string } {
  const parsed = parseGoDuration(text);
  if (!parsed.ok) return parsed;
  return { ok: true, value: formatGoDuration(parsed.nanoseconds), nanoseconds: parsed.nanoseconds };
}
