/**
 * Integer helpers for tree sizes and indexes. Sizes are plain numbers (safe up
 * to 2^53); JavaScript's bit operators work on 32 bits only, so nothing here
 * uses them.
 */

/** The largest power of two strictly smaller than n (n ≥ 2): RFC 9162's k. */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Whether n is a power of two (1, 2, 4…). */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && largestPowerOfTwoBelow(n + 1) === n;
}

/** Number of bits needed to write n (0 for 0). */
export function bitLength(n: number): number {
  let bits = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) bits += 1;
  return bits;
}

/** Number of one bits in n. */
export function onesCount(n: number): number {
  let ones = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) ones += rest % 2;
  return ones;
}

/** Number of trailing zero bits of n (n > 0). */
export function trailingZeros(n: number): number {
  let zeros = 0;
  for (let rest = n; rest % 2 === 0; rest /= 2) zeros += 1;
  return zeros;
}

/** a XOR b for non-negative safe integers, bit by bit. */
export function xor(a: number, b: number): number {
  let result = 0;
  let bit = 1;
  for (let x = a, y = b; x > 0 || y > 0; x = Math.floor(x / 2), y = Math.floor(y / 2), bit *= 2) {
    if (x % 2 !== y % 2) result += bit;
  }
  return result;
}
