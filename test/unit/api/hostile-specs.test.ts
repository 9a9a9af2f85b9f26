/** The hostile-spec generator is deterministic and covers every aspect it knows. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostileSpecs, prng } from "../../integration/api/hostile-specs.ts";

test("the same seed gives the same cases, another seed other cases", () => {
  assert.deepEqual(hostileSpecs(15, 200), hostileSpecs(15, 200));
  assert.notDeepEqual(hostileSpecs(15, 200), hostileSpecs(16, 200));
});

test("the PRNG spreads over [0, 1)", () => {
  const next = prng(1);
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 10_000; i++) {
    const x = next();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]!++;
  }
  for (const b of buckets) assert.ok(b > 800 && b < 1200, `bucket ${b}`);
});

test("every aspect appears often, alone and combined", () => {
  const cases = hostileSpecs(15, 3000);
  const counts = new Map<string, number>();
  for (const c of cases) for (const a of c.aspects) counts.set(a, (counts.get(a) ?? 0) + 1);
  assert.ok(counts.size >= 18, [...counts.keys()].join(", "));
  for (const [aspect, n] of counts) assert.ok(n > 200, `${aspect}: ${n}`);
  assert.ok(cases.some((c) => c.aspects.length === 1) && cases.some((c) => c.aspects.length >= 3));
});
