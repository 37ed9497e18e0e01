import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { hashFcSub } from './fc-sub.js';

const KEY = 'k'.repeat(32);
const SUB = 'a'.repeat(64) + 'v1';

describe('hashFcSub', () => {
  it('is the hex HMAC-SHA-256 of the sub under the key', () => {
    expect(hashFcSub(KEY, SUB)).toBe(createHmac('sha256', KEY).update(SUB).digest('hex'));
    expect(hashFcSub(KEY, SUB)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable, and differs with the key or the sub', () => {
    expect(hashFcSub(KEY, SUB)).toBe(hashFcSub(KEY, SUB));
    expect(hashFcSub('j'.repeat(32), SUB)).not.toBe(hashFcSub(KEY, SUB));
    expect(hashFcSub(KEY, 'b'.repeat(64) + 'v1')).not.toBe(hashFcSub(KEY, SUB));
    expect(hashFcSub(KEY, SUB)).not.toContain(SUB);
  });

  it.each([
    ['a short key', 'short', SUB],
    ['an empty sub', KEY, ''],
  ])('refuses %s', (_what, key, sub) => {
    expect(() => hashFcSub(key, sub)).toThrow();
  });
});
