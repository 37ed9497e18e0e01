import { describe, expect, it } from '@jest/globals';
import { composeNotice, type NoticeKind, type QueuedNotice } from './notice-mail.js';

const PUBLIC_URL = 'https://procuration.example';
const AT = '2027-03-12T09:14:00.000Z';

function notice(kind: NoticeKind, facts: Record<string, unknown>, digest = false): QueuedNotice {
  return { id: `n-${kind}`, kind, recipient: 'jean@example.org', digest, facts };
}

const USE = { at: AT, aidant: 'Karim Benali', structure: 'CCAS de Lille', partner: 'Service logement', demarche: 'logement' };

/** Every notice to a usager: where to look, how to revoke, how to stop notices. */
const TO_USAGERS: Array<[string, QueuedNotice[]]> = [
  ['a use', [notice('use', USE)]],
  ['the daily summary', [notice('use', USE, true), notice('use', { ...USE, demarche: 'social' }, true)]],
  ['a mandate created', [notice('mandate_created', { at: AT, aidant: 'Karim Benali', structure: 'CCAS de Lille', demarches: ['logement'], expiresAt: AT })]],
  ['a revocation', [notice('revocation', { at: AT, structure: 'CCAS de Lille', by: 'usager' })]],
  ['a mandate ending soon', [notice('expiring', { structure: 'CCAS de Lille', demarches: ['logement', 'famille'], expiresAt: AT })]],
];

describe('composeNotice', () => {
  it.each(TO_USAGERS)('%s: links to /usager and says how to revoke and how to stop', (_, notices) => {
    const mail = composeNotice(notices, PUBLIC_URL);
    expect(mail.subject).toMatch(/^Procuration : /);
    expect(mail.text).toContain(`${PUBLIC_URL}/usager`);
    expect(mail.text).toContain('Pour révoquer un mandat');
    expect(mail.text).toContain('« Être prévenu »');
  });

  it('tells a use with who, structure, partner, démarche and when (Paris time)', () => {
    const { text } = composeNotice([notice('use', USE)], PUBLIC_URL);
    expect(text).toContain('le 12 mars 2027 à 10:14, Karim Benali (CCAS de Lille) a utilisé votre mandat auprès de Service logement pour la démarche « Logement »');
  });

  it('lists each use of the day in the summary', () => {
    const { text } = composeNotice(TO_USAGERS[1]![1], PUBLIC_URL);
    expect(text).toContain('Voici les 2 utilisations de vos mandats');
    expect(text).toContain('« Logement »');
    expect(text).toContain('« Social – Santé »');
  });

  it('gives the structure’s aidants a renewal link per mandate, and no usager footer', () => {
    const mail = composeNotice(
      [notice('structure_reminder', { structure: 'CCAS de Lille', mandates: [{ id: 'm-1', usager: 'Jean Dupont', demarches: ['logement'], expiresAt: AT }] })],
      PUBLIC_URL,
    );
    expect(mail.subject).toBe('Procuration : 1 mandat(s) de « CCAS de Lille » prennent fin dans les 30 jours');
    expect(mail.text).toContain(`Jean Dupont, Logement, fin le 12 mars 2027 : ${PUBLIC_URL}/aidant/mandats/m-1/renouvellement`);
    expect(mail.text).not.toContain(`${PUBLIC_URL}/usager`);
  });
});
