import { describe, expect, it } from '@jest/globals';
import { foldName } from '../usagers/name-fold.js';
import { CODE_ALPHABET, effectiveStatus, isoDate, mismatchedFields, newCode, normaliseCode, spacedCode } from './consent-request.js';

const expected = (family: string, given: string, birthdate: string) => ({
  expectedFamilyFold: foldName(family),
  expectedGivenFold: foldName(given),
  expectedBirthdate: birthdate,
});

describe('remote consent requests', () => {
  it('draws codes of 8 unambiguous characters that read back whatever the case and spacing', () => {
    for (let i = 0; i < 200; i += 1) {
      const code = newCode();
      expect(code).toMatch(new RegExp(`^[${CODE_ALPHABET}]{8}$`));
      expect(normaliseCode(spacedCode(code).toLowerCase())).toBe(code);
    }
    expect(CODE_ALPHABET).not.toMatch(/[0O1IL]/);
  });

  it.each([['ABCD'], ['AAAA AAA0'], ['AAAAIAAA'], [''], [42], ['A'.repeat(41)]])('refuses %p as a code', (typed) => {
    expect(normaliseCode(typed)).toBeNull();
  });

  it.each([
    ['DUBOIS', 'Angela', '1962-08-24', []],
    ['dubois', 'angela claire louise', '1962-08-24', []],
    ['Dubois', 'Claire', '1962-08-24', ['given_name']],
    ['Martin', 'Angela', '1962-08-24', ['family_name']],
    ['Dubois', 'Angela', '1962-08-25', ['birthdate']],
  ])('compares %s %s %s with Angela Claire Louise DUBOIS born 1962-08-24: %p', (family, given, birthdate, fields) => {
    expect(mismatchedFields(expected(family, given, birthdate), { familyName: 'DUBOIS', givenName: 'Angela Claire Louise', birthdate: '1962-08-24' })).toEqual(fields);
  });

  it('folds accents, hyphens and apostrophes: Paul-Antoine is one given name', () => {
    const identity = { familyName: 'GARCÍA FERNÁNDEZ', givenName: 'Paul-Antoine Marie', birthdate: '1985-11-03' };
    expect(mismatchedFields(expected('Garcia Fernandez', 'paul antoine', '1985-11-03'), identity)).toEqual([]);
    expect(mismatchedFields(expected('Garcia', 'Paul', '1985-11-03'), identity)).toEqual(['family_name', 'given_name']);
  });

  it('reads dates typed the French way or ISO, and refuses impossible ones', () => {
    expect(isoDate('24/08/1962')).toBe('1962-08-24');
    expect(isoDate('1962-08-24')).toBe('1962-08-24');
    expect(isoDate('30/02/1980')).toBe('');
    expect(isoDate('hier')).toBe('');
  });

  it('shows a pending request past its end as expired', () => {
    const now = new Date('2026-12-04T12:00:00Z');
    expect(effectiveStatus({ status: 'pending', expiresAt: new Date('2026-12-04T11:59:59Z') }, now)).toBe('expired');
    expect(effectiveStatus({ status: 'pending', expiresAt: new Date('2026-12-04T12:00:01Z') }, now)).toBe('pending');
    expect(effectiveStatus({ status: 'accepted', expiresAt: new Date('2026-12-04T11:00:00Z') }, now)).toBe('accepted');
  });
});
