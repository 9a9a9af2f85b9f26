import { test } from "node:test";
import assert from "node:assert/strict";
import { compareQuantities, quantityBytes } from "../../../src/dittoserver/quantity.ts";

test("quantities reduce to exact bytes", () => {
  assert.equal(quantityBytes("1Gi"), 1073741824n);
  assert.equal(quantityBytes("1024Mi"), 1073741824n);
  assert.equal(quantityBytes("10Gi"), 10n * 1073741824n);
  assert.equal(quantityBytes("1G"), 1_000_000_000n);
  assert.equal(quantityBytes("1.5Gi"), 1610612736n);
  assert.equal(quantityBytes("1e3"), 1000n);
  assert.equal(quantityBytes("1500"), 1500n);
  assert.equal(quantityBytes(2048), 2048n);
  assert.equal(quantityBytes("0.5"), 1n, "fractional bytes round up");
});

test("invalid quantities are undefined", () => {
  for (const bad of ["", "Gi", "10GB", "-1Gi", "10m", "abc", "1e99"]) assert.equal(quantityBytes(bad), undefined, bad);
});

test("compareQuantities orders across units", () => {
  assert.equal(compareQuantities("1Gi", "1024Mi"), 0);
  assert.equal(compareQuantities("1Gi", "2Gi"), -1);
  assert.equal(compareQuantities("1Ti", "999Gi"), 1);
  assert.equal(compareQuantities("1G", "1Gi"), -1);
  assert.equal(compareQuantities("x", "1Gi"), undefined);
});
