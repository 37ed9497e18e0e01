import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../shared/domain-error.js';
import { parisDayStart, parseJournalSearch, searchCriteria, searchQuery } from './journal-search.js';

const MEMBER = '11111111-1111-4111-8111-111111111111';
const options = { memberIds: new Set([MEMBER]) };

function errorsOf(query: Record<string, unknown>): Record<string, string> {
  try {
    parseJournalSearch(query, options);
  } catch (error) {
    if (error instanceof ValidationError) return { ...error.fields };
    throw error;
  }
  throw new Error('accepted');
}

describe('parseJournalSearch', () => {
  it('reads every criterion', () => {
    const search = parseJournalSearch(
      {
        du: '2027-03-01', au: '2027-03-31', aidant: MEMBER, usager: '22222222-2222-4222-8222-222222222222',
        action: 'aidant.signed_in', demarche: 'logement', partenaire: 'caf-demo', mandat: '33333333-3333-4333-8333-333333333333', taille: '20',
      },
      options,
    );
    expect(search.filter).toEqual({
      from: new Date('2027-02-28T23:00:00.000Z'),
      to: new Date('2027-03-31T22:00:00.000Z'),
      actor: { type: 'aidant', id: MEMBER },
      usagerId: '22222222-2222-4222-8222-222222222222',
      action: 'aidant.signed_in',
      demarche: 'logement',
      partnerId: 'caf-demo',
      mandateId: '33333333-3333-4333-8333-333333333333',
    });
    expect(search.limit).toBe(20);
  });

  it('takes an empty form as no criteria', () => {
    expect(parseJournalSearch({ du: '', action: '  ' }, options)).toMatchObject({ filter: {}, limit: 50, usagerName: null });
  });

  it('keeps a name search for the service to resolve, and never journals the name', () => {
    const search = parseJournalSearch({ usager: 'Jean Dupont', naissance: '1962-08-24' }, options);
    expect(search).toMatchObject({ usagerName: 'Jean Dupont', birthdate: '1962-08-24', filter: {} });
    expect(searchCriteria(search)).toEqual({ usager: '(recherche par nom)', naissance: '(recherche par nom)' });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an impossible date', { du: '2027-02-30' }, 'du'],
    ['a date in another format', { au: '12/03/2027' }, 'au'],
    ['a reversed period', { du: '2027-03-10', au: '2027-03-01' }, 'au'],
    ['an aidant of another structure', { aidant: '99999999-9999-4999-8999-999999999999' }, 'aidant'],
    ['an aidant that is not an id', { aidant: "1' OR '1'='1" }, 'aidant'],
    ['an injection attempt as usager', { usager: "x'); DROP TABLE journal_entries; --" }, 'usager'],
    ['a birthdate without a name', { naissance: '1962-08-24' }, 'naissance'],
    ['a birthdate in the future', { usager: 'Dupont', naissance: '2999-01-01' }, 'naissance'],
    ['an unknown action', { action: 'mandate.teleported' }, 'action'],
    ['an unknown démarche', { demarche: 'impots' }, 'demarche'],
    ['a partner id with SQL', { partenaire: "caf' --" }, 'partenaire'],
    ['a truncated mandate id', { mandat: '33333333-3333' }, 'mandat'],
    ['an oversized page', { taille: '100000' }, 'taille'],
    ['a zero page size', { taille: '0' }, 'taille'],
    ['a repeated parameter', { action: ['aidant.signed_in', 'aidant.signed_out'] }, 'action'],
  ])('refuses %s with a French message on the field', (_case, query, field) => {
    const errors = errorsOf(query);
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]).toMatch(/^[A-ZÀ-Ÿ].*\.$/u);
  });

  it('links the same search', () => {
    expect(searchQuery({ action: 'aidant.signed_in', du: '2027-03-01' }, { apres: 'abc' })).toBe('du=2027-03-01&action=aidant.signed_in&apres=abc');
  });
});

describe('parisDayStart', () => {
  it.each([
    ['2027-01-15', '2027-01-14T23:00:00.000Z'],
    ['2027-07-15', '2027-07-14T22:00:00.000Z'],
  ])('%s starts at %s', (day, instant) => {
    expect(parisDayStart(day)?.toISOString()).toBe(instant);
  });
});
