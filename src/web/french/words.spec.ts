import { describe, expect, it } from '@jest/globals';
import { agree, de, plural, pluralWord } from './words.js';

describe('elision of "de"', () => {
  it.each([
    ['Angela', 'd’Angela'],
    ['un usager', 'd’un usager'],
    ['Élodie', 'd’Élodie'],
    ['Hélène Marchand', 'd’Hélène Marchand'],
    ['Hugo', 'd’Hugo'],
    ['Yves', 'd’Yves'],
    ['Karim', 'de Karim'],
    ['Yannick', 'de Yannick'],
    ['Haute-Saône', 'de Haute-Saône'],
    ['hasard', 'de hasard'],
    ['  Œdipe ', 'd’Œdipe'],
  ])('%s → %s', (word, expected) => {
    expect(de(word)).toBe(expected);
  });
});

describe('gender agreement', () => {
  it.each([
    ['female', 'née'],
    ['male', 'né'],
    [null, 'naissance'],
    [undefined, 'naissance'],
    ['other', 'naissance'],
  ])('%p → %s', (gender, expected) => {
    expect(agree(gender, 'née', 'né', 'naissance')).toBe(expected);
  });
});

describe('plural agreement', () => {
  it.each([
    [0, '0 révoqué'],
    [1, '1 révoqué'],
    [2, '2 révoqués'],
    [12, '12 révoqués'],
  ])('%i', (count, expected) => {
    expect(plural(count, 'révoqué')).toBe(expected);
  });

  it('takes an irregular plural', () => {
    expect(plural(3, 'travail', 'travaux')).toBe('3 travaux');
    expect(pluralWord(1, 'mandat arrive', 'mandats arrivent')).toBe('mandat arrive');
    expect(pluralWord(2, 'mandat arrive', 'mandats arrivent')).toBe('mandats arrivent');
  });
});
