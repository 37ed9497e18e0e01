import { describe, expect, it } from '@jest/globals';
import { validateIdentityClaims } from './identity-claims.js';

const NOW = new Date('2026-06-15T12:00:00Z');

const BORN_IN_PARIS = {
  sub: 'ignored',
  given_name: 'Angela Claire Louise',
  family_name: 'DUBOIS',
  preferred_username: 'MARTIN',
  birthdate: '1962-08-24',
  gender: 'female',
  birthplace: '75107',
  birthcountry: '99100',
  email: 'angela.dubois@example.fr',
};

function invalidOf(claims: Record<string, unknown>): string[] {
  const result = validateIdentityClaims(claims, NOW);
  return result.ok ? [] : result.invalid;
}

describe('validateIdentityClaims', () => {
  it('normalises a complete identity born in France', () => {
    expect(validateIdentityClaims(BORN_IN_PARIS, NOW)).toEqual({
      ok: true,
      claims: {
        givenName: 'Angela Claire Louise',
        familyName: 'DUBOIS',
        preferredUsername: 'MARTIN',
        birthdate: '1962-08-24',
        gender: 'female',
        birthplace: '75107',
        birthcountry: '99100',
        email: 'angela.dubois@example.fr',
      },
    });
  });

  it('accepts a person born abroad (empty birthplace), without email nor nom d’usage', () => {
    const result = validateIdentityClaims(
      { given_name: 'Karim', family_name: 'BENALI', birthdate: '1990-02-28', gender: 'male', birthplace: '', birthcountry: '99134', email: '', preferred_username: '' },
      NOW,
    );
    expect(result).toEqual({
      ok: true,
      claims: { givenName: 'Karim', familyName: 'BENALI', birthdate: '1990-02-28', gender: 'male', birthplace: '', birthcountry: '99134' },
    });
  });

  it.each(['2A004', '2B033', '97411'])('accepts the commune code %s', (birthplace) => {
    expect(invalidOf({ ...BORN_IN_PARIS, birthplace })).toEqual([]);
  });

  it('accepts a birthdate of today and a leap day', () => {
    expect(invalidOf({ ...BORN_IN_PARIS, birthdate: '2026-06-15' })).toEqual([]);
    expect(invalidOf({ ...BORN_IN_PARIS, birthdate: '2000-02-29' })).toEqual([]);
  });

  it.each([
    ['given_name', { given_name: '' }],
    ['given_name', { given_name: '   ' }],
    ['given_name', { given_name: undefined }],
    ['given_name', { given_name: 42 }],
    ['family_name', { family_name: '' }],
    ['family_name', { family_name: 'A\u0000B' }],
    ['preferred_username', { preferred_username: 7 }],
    ['birthdate', { birthdate: '1980-02-30' }],
    ['birthdate', { birthdate: '2001-02-29' }],
    ['birthdate', { birthdate: '1980-13-01' }],
    ['birthdate', { birthdate: '24/08/1962' }],
    ['birthdate', { birthdate: '1962-8-24' }],
    ['birthdate', { birthdate: '2026-06-16' }],
    ['birthdate', { birthdate: '1849-12-31' }],
    ['birthdate', { birthdate: undefined }],
    ['gender', { gender: 'other' }],
    ['gender', { gender: 'F' }],
    ['gender', { gender: undefined }],
    ['birthplace', { birthplace: '' }],
    ['birthplace', { birthplace: '7510' }],
    ['birthplace', { birthplace: '2C004' }],
    ['birthplace', { birthcountry: '99134' }],
    ['birthcountry', { birthcountry: '12345' }],
    ['birthcountry', { birthcountry: '9910' }],
    ['birthcountry', { birthcountry: undefined }],
    ['email', { email: 'not-an-email' }],
    ['email', { email: 12 }],
  ])('refuses a bad %s (%j)', (claim, change) => {
    expect(invalidOf({ ...BORN_IN_PARIS, ...change })).toEqual([claim]);
  });

  it('names every bad claim at once', () => {
    expect(invalidOf({ given_name: 'Jean', family_name: 'X', birthdate: 'x', gender: 'x', birthplace: '75056', birthcountry: '99134' })).toEqual([
      'birthdate',
      'gender',
      'birthplace',
    ]);
  });
});
