/**
 * Kubernetes resource quantities reduced to exact byte counts, so storage sizes written differently by the user
 * and by the API server (which canonicalises `1024Mi` to `1Gi`) compare correctly.
 */

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const DECIMAL_EXPONENT: Record<string, number> = {
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/**
 * Bytes of a quantity such as `10Gi`, `500M`, `1.5Gi`, `1e9`; fractional bytes round up (as the API server does
 * for storage). Returns undefined for text that is not a non-negative quantity (milli units make no sense for
 * bytes and are rejected).
 */
export function quantityBytes(text: string | number): bigint | undefined {
  const source = typeof text === "number" ? String(text) : text.trim();
  const match = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/.exec(source);
  if (!match) return undefined;
  const [, number = "0", suffix = ""] = match;
  const [intPart = "0", fracPart = ""] = number.split(".");
  const digits = BigInt((intPart === "" ? "0" : intPart) + fracPart);
  let scale = -fracPart.length; // power of ten applied to `digits`
  let multiplier = 1n;
  if (suffix in BINARY) multiplier = BINARY[suffix]!;
  else if (/^[eE]/.test(suffix)) scale += Number(suffix.slice(1));
  else scale += DECIMAL_EXPONENT[suffix] ?? 0;
  if (scale > 60) return undefined; // absurdly large; refuse rather than allocate a huge bigint
  const numerator = digits * multiplier;
  if (scale >= 0) return numerator * 10n ** BigInt(scale);
  const divisor = 10n ** BigInt(-scale);
  return (numerator + divisor - 1n) / divisor;
}

/** -1, 0 or 1 comparing two quantities; undefined when either does not parse. */
export function compareQuantities(a: string | number, b: string | number): -1 | 0 | 1 | undefined {
  const x = quantityBytes(a);
  const y = quantityBytes(b);
  if (x === undefined || y === undefined) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}
