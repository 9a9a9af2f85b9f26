import { test } from "node:test";
import assert from "node:assert/strict";
import { afterTerminal, afterTransient, DEFAULT_BACKOFF, mayCall, transientDelay, waitMs } from "../../../src/dittofs/backoff.ts";
import type { ApiBackoff } from "../../../src/dittofs/backoff.ts";

test("transient failures back off 2 s × 2^n up to 5 min, and the state carries over passes", () => {
  assert.deepEqual([1, 2, 3, 4, 8, 9, 20].map((n) => transientDelay(n)), [2000, 4000, 8000, 16000, 256000, 300000, 300000]);
  let state: ApiBackoff | undefined;
  const now = 1_000_000;
  for (let i = 0; i < 4; i++) state = afterTransient(state, now, DEFAULT_BACKOFF, () => 0);
  assert.deepEqual(state, { failures: 4, retryAt: now + 16000 });
  assert.equal(mayCall(state, now + 15_999, "fp"), false, "an unrelated pass before the time makes no call");
  assert.equal(mayCall(state, now + 16_000, "fp"), true);
  assert.equal(waitMs(state, now + 1000), 15_000);
  assert.equal(mayCall(undefined, now, "fp"), true, "no failure, no wait");
});

test("jitter adds at most 20 %", () => {
  assert.equal(afterTransient(undefined, 0, DEFAULT_BACKOFF, () => 0.999999).retryAt, 2400);
});

test("a terminal failure is not retried until its inputs change or 10 minutes pass", () => {
  const state = afterTerminal(undefined, 0, "admin-secret-v1");
  assert.equal(mayCall(state, 60_000, "admin-secret-v1"), false);
  assert.equal(mayCall(state, 60_000, "admin-secret-v2"), true, "a new password in the Secret is tried at once");
  assert.equal(mayCall(state, 600_000, "admin-secret-v1"), true);
  assert.equal(afterTransient(state, 0, DEFAULT_BACKOFF, () => 0).failures, 1, "a transient failure after a terminal one starts the exponential series afresh");
});
