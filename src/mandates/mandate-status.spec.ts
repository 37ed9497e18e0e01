import { describe, expect, it } from '@jest/globals';
import { expiryOf, isDuration, statusOf } from './mandate-status.js';

const created = new Date('2026-03-28T10:00:00.000Z');

describe('mandate durations', () => {
  it.each([
    ['court', '2026-03-29T10:00:00.000Z'],
    ['mois', '2026-04-28T10:00:00.000Z'],
    ['semestre', '2026-09-26T10:00:00.000Z'],
    ['long', '2027-03-28T10:00:00.000Z'],
  ] as const)('%s ends at %s (24-hour days, across the DST change)', (duration, end) => {
    expect(expiryOf(created, duration).toISOString()).toBe(end);
  });

  it.each(['', 'an', 'COURT', 'toString', 'constructor', 1, null])('refuses %p', (value) => {
    expect(isDuration(value)).toBe(false);
  });
});

describe('status', () => {
  const expiresAt = new Date('2026-04-28T10:00:00.000Z');
  it.each([
    ['live before the end', null, '2026-04-01T00:00:00Z', 'live'],
    ['expired at the end instant', null, '2026-04-28T10:00:00Z', 'expired'],
    ['revoked before the end', '2026-04-02T00:00:00Z', '2026-04-03T00:00:00Z', 'revoked'],
    ['revoked stays revoked after the end', '2026-04-02T00:00:00Z', '2026-06-01T00:00:00Z', 'revoked'],
    ['closed after the end stays expired', '2026-05-02T00:00:00Z', '2026-06-01T00:00:00Z', 'expired'],
  ])('%s', (_name, revokedAt, now, status) => {
    expect(statusOf({ expiresAt, revokedAt: revokedAt ? new Date(revokedAt) : null }, new Date(now))).toBe(status);
  });
});
