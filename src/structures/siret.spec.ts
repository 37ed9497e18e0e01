import { describe, expect, it } from '@jest/globals';
import { isValidSiret, normaliseSiret } from './siret.js';

describe('SIRET', () => {
  it.each(['21700550300016', '21700294000013', '13002526500013'])('accepts %s', (siret) => {
    expect(isValidSiret(siret)).toBe(true);
  });

  it.each([
    ['a wrong checksum', '21700550300017'],
    ['13 digits', '2170055030001'],
    ['15 digits', '217005503000160'],
    ['letters', '2170055030001A'],
    ['spaces left in', '217 005 503 00016'],
    ['empty', ''],
  ])('refuses %s', (_label, siret) => {
    expect(isValidSiret(siret)).toBe(false);
  });

  it('normalises the spaced form', () => {
    expect(normaliseSiret('217 005 503\u00a000016')).toBe('21700550300016');
  });
});
