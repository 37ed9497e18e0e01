import { describe, expect, it } from '@jest/globals';
import { parisDateTime } from './paris-time.js';

const DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric' });
const TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

describe('parisDateTime', () => {
  it('writes what the fr-FR formats write, across both daylight-saving changes, minute by minute', () => {
    for (const start of [Date.UTC(2027, 2, 27, 22), Date.UTC(2027, 9, 30, 22), Date.UTC(2026, 11, 31, 22)]) {
      for (let ms = start; ms < start + 6 * 3_600_000; ms += 60_000 + 7_000) {
        const date = new Date(ms);
        expect(parisDateTime(date)).toBe(`${DATE.format(date)} à ${TIME.format(date)}`);
      }
    }
  });

  it('refuses an invalid date as the Intl formats do', () => {
    expect(() => parisDateTime(new Date('not a date'))).toThrow(RangeError);
  });
});
