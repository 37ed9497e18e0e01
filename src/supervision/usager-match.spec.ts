import { describe, expect, it } from '@jest/globals';
import { foldName, matchesUsager } from './usager-match.js';

const angela = { id: 'u', givenName: 'Angela Claire Louise', familyName: 'DUBOIS', preferredUsername: 'Martin-Lefèvre', birthdate: '1962-08-24', gender: 'female' as const };

describe('matchesUsager', () => {
  it.each<[string, string | null, boolean]>([
    ['Angela Dubois', null, true],
    ['dubois', '1962-08-24', true],
    ['Claire', null, true],
    ['martin lefevre', null, true],
    ['Lefèvre Angela', null, true],
    ['Dub', null, true],
    ['Dubois', '1962-08-25', false],
    ['Durand', null, false],
    ['Angela Durand', null, false],
    ['  ', null, false],
  ])('%j born %j → %s', (name, birthdate, expected) => {
    expect(matchesUsager(angela, name, birthdate)).toBe(expected);
  });

  it('folds accents, case and separators', () => {
    expect(foldName("Élodie D’Arc-Ângel")).toBe('elodie d arc angel');
  });
});
