import { describe, expect, it } from '@jest/globals';
import { identityDisplay } from './identity.js';
import { birthplaceName } from './places.js';

const angela = {
  givenName: 'Angela Claire Louise',
  familyName: 'DUBOIS',
  preferredUsername: 'DUMEUBLE',
  birthdate: '1962-08-24',
  gender: 'female',
  birthplace: '70550',
  birthcountry: '99100',
};

describe('identity as on the document', () => {
  it('born in France: birth name, usage name, every given name, date and commune', () => {
    const id = identityDisplay(angela);
    expect(id.names).toBe('DUBOIS, épouse DUMEUBLE');
    expect(id.fullName).toBe('Angela Claire Louise DUBOIS, épouse DUMEUBLE');
    expect(id.inSentence).toBe('Angela Claire Louise DUBOIS (épouse DUMEUBLE)');
    expect(id.birth).toBe('née le 24 août 1962 à Vesoul (Haute-Saône)');
    expect(id.line).toBe('Angela Claire Louise DUBOIS, épouse DUMEUBLE, née le 24 août 1962 à Vesoul (Haute-Saône)');
  });

  it('born in Corsica (2A)', () => {
    const id = identityDisplay({ ...angela, givenName: 'Hugo', familyName: 'Santoni', preferredUsername: null, gender: 'male', birthplace: '2A004' });
    expect(id.line).toBe('Hugo SANTONI, né le 24 août 1962 à Ajaccio (Corse-du-Sud)');
  });

  it('born abroad: the country', () => {
    const id = identityDisplay({ ...angela, preferredUsername: null, birthplace: '', birthcountry: '99134' });
    expect(id.birthplace).toBe('Espagne');
    expect(id.birth).toBe('née le 24 août 1962 à l’étranger (Espagne)');
  });

  it('a usage name equal to the birth name is not repeated', () => {
    expect(identityDisplay({ ...angela, preferredUsername: 'dubois' }).names).toBe('DUBOIS');
    expect(identityDisplay({ ...angela, preferredUsername: '' }).names).toBe('DUBOIS');
  });

  it('a man’s usage name, and neutral wording when the gender is unknown', () => {
    expect(identityDisplay({ ...angela, gender: 'male' }).names).toBe('DUBOIS, époux DUMEUBLE');
    const neutral = identityDisplay({ ...angela, gender: null });
    expect(neutral.names).toBe('DUBOIS, nom d’usage DUMEUBLE');
    expect(neutral.birth).toBe('naissance le 24 août 1962 à Vesoul (Haute-Saône)');
    expect(neutral.line).not.toMatch(/\(e\)|née ou né/);
  });

  it('unknown codes are shown as they are, never an error', () => {
    expect(identityDisplay({ ...angela, birthplace: '70999' }).birth).toBe('née le 24 août 1962 à 70999 (code INSEE)');
    expect(identityDisplay({ ...angela, birthplace: '', birthcountry: '99999' }).birth).toBe('née le 24 août 1962 à l’étranger, 99999 (code INSEE)');
  });

  it('an identity with names only (an older attestation) is the names alone', () => {
    expect(identityDisplay({ givenName: 'Angela', familyName: 'DUMEUBLE' }).line).toBe('Angela DUMEUBLE');
  });
});

describe('birthplaces from INSEE codes', () => {
  it.each([
    ['70550', '99100', 'Vesoul (Haute-Saône)'],
    ['2A004', '99100', 'Ajaccio (Corse-du-Sud)'],
    ['20004', '99100', 'Ajaccio (Corse-du-Sud)'],
    ['75056', '99100', 'Paris'],
    ['75107', '99100', 'Paris 7e Arrondissement'],
    ['', '99341', 'Sénégal'],
    ['97411', '99100', 'Saint-Denis (La Réunion)'],
    ['', '99350', 'Maroc'],
    ['', '99100', 'France'],
    ['', '', null],
  ])('%s / %s → %s', (place, country, expected) => {
    expect(birthplaceName(place, country)).toBe(expected);
  });
});
