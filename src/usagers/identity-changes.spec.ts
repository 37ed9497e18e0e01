import { describe, expect, it } from '@jest/globals';
import { identityChanges } from './identity-changes.js';
import type { IdentityValues } from './usagers.types.js';

const STORED: IdentityValues = {
  givenName: 'Angela Claire Louise',
  familyName: 'DUBOIS',
  preferredUsername: 'MARTIN',
  birthdate: '1962-08-24',
  gender: 'female',
  birthplace: '75107',
  birthcountry: '99100',
  email: 'angela.dubois@example.fr',
};

describe('identityChanges', () => {
  it('is empty when FranceConnect reports the same identity', () => {
    expect(identityChanges(STORED, { ...STORED })).toEqual({});
  });

  it.each<[string, Partial<IdentityValues>, object]>([
    ['a new email', { email: 'angela@example.org' }, { email: { from: 'angela.dubois@example.fr', to: 'angela@example.org' } }],
    ['an email withdrawn', { email: null }, { email: { from: 'angela.dubois@example.fr', to: null } }],
    ['a nom d’usage dropped', { preferredUsername: null }, { preferredUsername: { from: 'MARTIN', to: null } }],
    ['a corrected birthplace', { birthplace: '75056' }, { birthplace: { from: '75107', to: '75056' } }],
    [
      'two fields at once',
      { familyName: 'DUBOIS-MARTIN', givenName: 'Angela' },
      { givenName: { from: 'Angela Claire Louise', to: 'Angela' }, familyName: { from: 'DUBOIS', to: 'DUBOIS-MARTIN' } },
    ],
  ])('names only the changed fields: %s', (_what, change, expected) => {
    expect(identityChanges(STORED, { ...STORED, ...change })).toEqual(expected);
  });
});
