import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalGoDuration, ceilSeconds, formatGoDuration, parseGoDuration } from "../../../src/dittoserver/duration.ts";

function nanos(text: string): bigint {
  const parsed = parseGoDuration(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.nanoseconds;
}

test("parses the Go duration grammar", () => {
  assert.equal(nanos("30s"), 30_000_000_000n);
  assert.equal(nanos("1m30s"), 90_000_000_000n);
  assert.equal(nanos("1.5h"), 5_400_000_000_000n);
  assert.equal(nanos("168h"), 168n * 3_600_000_000_000n);
  assert.equal(nanos("250ms"), 250_000_000n);
  assert.equal(nanos("2us"), 2_000n);
  assert.equal(nanos("2µs"), 2_000n);
  assert.equal(nanos("7ns"), 7n);
  assert.equal(nanos(".5s"), 500_000_000n);
  assert.equal(nanos("5.s"), 5_000_000_000n);
  assert.equal(nanos("-2ms"), -2_000_000n);
  assert.equal(nanos("+1s"), 1_000_000_000n);
  assert.equal(nanos("0"), 0n);
  assert.equal(nanos("1h2m3s4ms"), 3_723_004_000_000n);
});

test("rejects what Go rejects, with a message naming the input", () => {
  for (const bad of ["", "30", "1x", "s", ".s", "1.2.3s", "abc", "1h 2m", "-"]) {
    const parsed = parseGoDuration(bad);
    assert.equal(parsed.ok, false, `"${bad}" should be rejected`);
    if (!parsed.ok) assert.match(parsed.error, /invalid duration/);
  }
  const overflow = parseGoDuration("3000000h");
  assert.equal(overflow.ok, false);
});

test("formats like Go's Duration.String", () => {
  assert.equal(formatGoDuration(0n), "0s");
  assert.equal(formatGoDuration(nanos("30s")), "30s");
  assert.equal(formatGoDuration(nanos("90s")), "1m30s");
  assert.equal(formatGoDuration(nanos("15m")), "15m0s");
  assert.equal(formatGoDuration(nanos("168h")), "168h0m0s");
  assert.equal(formatGoDuration(nanos("1.5s")), "1.5s");
  assert.equal(formatGoDuration(nanos("250ms")), "250ms");
  assert.equal(formatGoDuration(nanos("1500us")), "1.5ms");
  assert.equal(formatGoDuration(nanos("7ns")), "7ns");
  assert.equal(formatGoDuration(nanos("-90s")), "-1m30s");
  assert.equal(formatGoDuration(nanos("1h0m0.25s")), "1h0m0.25s");
});

test("canonical form round-trips and ceilSeconds rounds up", () => {
  const c = canonicalGoDuration("0.5m");
  assert.deepEqual(c.ok && c.value, "30s");
  assert.equal(canonicalGoDuration("nope").ok, false);
  assert.equal(ceilSeconds(nanos("30s")), 30);
  assert.equal(ceilSeconds(nanos("30.1s")), 31);
  assert.equal(ceilSeconds(nanos("1ms")), 1);
});
