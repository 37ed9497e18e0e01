import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether the `state` FranceConnect sent back is the one stored for this
 * browser's pending request. Constant time (both sides hashed first so the
 * lengths match), and an absent or empty value never matches.
 */
export function stateMatches(returned: string | null | undefined, expected: string | null | undefined): boolean {
  if (!returned || !expected) return false;
  const a = createHash('sha256').update(returned, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
