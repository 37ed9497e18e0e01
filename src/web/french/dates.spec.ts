import { describe, expect, it } from '@jest/globals';
import { frenchCalendarDate, frenchDate, frenchDateTime, fromParisWallTime, parisWallTime } from './dates.js';

describe('dates in Europe/Paris', () => {
  it.each([
    // Winter time (UTC+1) and summer time (UTC+2).
    ['2026-12-02T15:10:00Z', '2 décembre 2026 à 16:10'],
    ['2027-06-02T14:10:00Z', '2 juin 2027 à 16:10'],
    ['2027-06-01T08:05:00Z', '1er juin 2027 à 10:05'],
    // Last Sunday of March 2027 (28th): 01:59 UTC+1, then 03:00 UTC+2.
    ['2027-03-28T00:59:00Z', '28 mars 2027 à 01:59'],
    ['2027-03-28T01:00:00Z', '28 mars 2027 à 03:00'],
    // Last Sunday of October 2027 (31st): 02:59 UTC+2, then 02:00 UTC+1.
    ['2027-10-31T00:59:00Z', '31 octobre 2027 à 02:59'],
    ['2027-10-31T01:00:00Z', '31 octobre 2027 à 02:00'],
    // The day changes in Paris before it does in UTC.
    ['2026-12-31T23:30:00Z', '1er janvier 2027 à 00:30'],
  ])('%s → %s', (iso, expected) => {
    expect(frenchDateTime(iso)).toBe(expected);
    expect(frenchDate(new Date(iso))).toBe(expected.split(' à ')[0]);
  });

  it('refuses an invalid date', () => {
    expect(() => frenchDateTime('not a date')).toThrow(RangeError);
  });

  it('writes a calendar date without a time zone', () => {
    expect(frenchCalendarDate('1962-08-24')).toBe('24 août 1962');
    expect(frenchCalendarDate('2001-02-01')).toBe('1er février 2001');
    expect(frenchCalendarDate('24/08/1962')).toBe('24/08/1962');
  });
});

describe('Paris wall time back to an instant', () => {
  const wall = (iso: string) => {
    const [date, time] = iso.split('T');
    const [year, month, day] = date!.split('-').map(Number);
    const [hour, minute] = time!.split(':').map(Number);
    return { year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second: 0, ms: 0 };
  };

  it.each([
    ['2027-06-02T16:10', '2027-06-02T14:10:00.000Z'],
    ['2026-12-02T16:10', '2026-12-02T15:10:00.000Z'],
    // Skipped hour (28 March 2027): the offset before the change, 02:30 reads as 03:30 summer time.
    ['2027-03-28T02:30', '2027-03-28T01:30:00.000Z'],
    ['2027-03-28T01:30', '2027-03-28T00:30:00.000Z'],
    ['2027-03-28T03:30', '2027-03-28T01:30:00.000Z'],
    // Repeated hour (31 October 2027): the offset after the change, the later 02:30.
    ['2027-10-31T02:30', '2027-10-31T01:30:00.000Z'],
    ['2027-10-31T01:30', '2027-10-30T23:30:00.000Z'],
    ['2027-10-31T03:30', '2027-10-31T02:30:00.000Z'],
  ])('%s in Paris is %s', (local, utc) => {
    expect(fromParisWallTime(wall(local)).toISOString()).toBe(utc);
  });

  it('reads the wall time back', () => {
    expect(parisWallTime(new Date('2027-06-02T14:10:00Z'))).toEqual({ year: 2027, month: 6, day: 2, hour: 16, minute: 10, second: 0, ms: 0 });
  });
});
