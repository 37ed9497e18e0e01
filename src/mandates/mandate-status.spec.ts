import { describe, expect, it } from '@jest/globals';
import { expiryOf, isDuration, statusOf } from './mandate-status.js';

const created = new Date('2026-03-28T10:00:00.000Z');

describe('mandate durations', () => {
  it.each([
    // Opened 11:00 winter time the day before the spring change: ends 11:00 summer time.
    ['court', '2026-03-29T09:00:00.000Z'],
    ['mois', '2026-04-28T09:00:00.000Z'],
    ['semestre', '2026-09-26T09:00:00.000Z'],
    ['long', '2027-03-28T09:00:00.000Z'],
  ] as const)('%s ends at %s (calendar days in Paris, across the spring change)', (duration, end) => {
    expect(expiryOf(created, duration).toISOString()).toBe(end);
  });

  it('a 6-month mandate opened at 16:10 in December ends at 16:10 in June', () => {
    expect(expiryOf(new Date('2026-12-02T15:10:00Z'), 'semestre').toISOString()).toBe('2027-06-02T14:10:00.000Z');
  });

  it('a mandate opened in summer ends at the same time of day in winter (autumn change)', () => {
    expect(expiryOf(new Date('2026-09-30T14:10:00Z'), 'mois').toISOString()).toBe('2026-10-31T15:10:00.000Z');
  });

  it.each([
    // 02:30 does not exist on 28 March 2027: the offset before the change (03:30 summer time).
    ['skipped', '2027-03-27T01:30:00Z', '2027-03-28T01:30:00.000Z'],
    // 02:30 happens twice on 31 October 2027: the later one (winter time).
    ['repeated', '2027-10-30T00:30:00Z', '2027-10-31T01:30:00.000Z'],
  ])('a day whose 02:30 is %s', (_case, opened, end) => {
    expect(expiryOf(new Date(opened), 'court').toISOString()).toBe(end);
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
