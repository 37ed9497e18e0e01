import { describe, expect, it } from '@jest/globals';
import type { DemarcheId } from '../demarches/demarches.js';
import type { Duration } from './mandate-status.js';
import { renewableDurations, wideningMessage, wideningOf, type RenewalBounds } from './renewal.js';

describe('renewal bounds', () => {
  const bounds: RenewalBounds = { demarches: ['logement', 'travail'], duration: 'semestre' };

  it.each([
    [['logement', 'travail'], 'semestre'],
    [['logement'], 'semestre'],
    [['travail'], 'court'],
  ] as Array<[DemarcheId[], Duration]>)('keeps or narrows: %j for %s', (demarches, duration) => {
    expect(wideningOf(bounds, { demarches, duration })).toBeNull();
  });

  it.each([
    [['logement', 'argent'], 'semestre', { added: ['argent'], longer: false }],
    [['logement'], 'long', { added: [], longer: true }],
    [['justice'], 'long', { added: ['justice'], longer: true }],
  ] as Array<[DemarcheId[], Duration, unknown]>)('widens: %j for %s', (demarches, duration, widening) => {
    expect(wideningOf(bounds, { demarches, duration })).toEqual(widening);
  });

  it('offers the mandate’s duration and the shorter ones', () => {
    expect(Object.keys(renewableDurations(bounds))).toEqual(['court', 'mois', 'semestre']);
    expect(Object.keys(renewableDurations({ demarches: ['papiers'], duration: 'court' }))).toEqual(['court']);
  });

  it('explains in French what needs FranceConnect', () => {
    expect(wideningMessage({ added: ['argent', 'justice'], longer: true }, bounds)).toContain(
      'Pour ajouter les démarches « Argent », « Justice » et allonger la durée au-delà de 6 mois, créez un nouveau mandat',
    );
    expect(wideningMessage({ added: ['argent'], longer: false }, bounds)).toContain('ajouter la démarche « Argent »');
  });
});
