import { describe, expect, it } from '@jest/globals';
import { describeEntry, DESCRIBED_ACTIONS, frenchDateTime, type EntryNames } from './describe-entry.js';

const AIDANT = 'a1';
const OTHER = 'a2';
const USAGER = 'u1';
const PARTNER = 'p1';
const names: EntryNames = {
  aidants: new Map([[AIDANT, 'Marie Curie'], [OTHER, 'Paul Langevin']]),
  usagers: new Map([[USAGER, 'Jean Dupont']]),
  partners: new Map([[PARTNER, 'Caisse d’allocations']]),
};

function entry(action: string, details: Record<string, unknown> = {}, more: Partial<{ demarche: string; actor: { type: string; id: string | null } }> = {}) {
  return {
    chain: 's1',
    // 10:14 in Paris (UTC+1 in March).
    at: '2027-03-12T09:14:00.000Z',
    action,
    actor: more.actor ?? { type: 'aidant', id: AIDANT },
    subjects: { usagerId: USAGER, mandateId: 'm1', aidantId: OTHER, partnerId: PARTNER },
    demarche: more.demarche ?? null,
    details,
  };
}

/** Every action of the catalogue (and the anticipated ones), with the sentence it gives. */
const TABLE: Array<[string, Record<string, unknown>, string]> = [
  ['aidant.signed_in', { method: 'password+totp' }, 'Marie Curie a ouvert une session'],
  ['aidant.totp_reauthentication_failed', { reason: 'totp_replayed' }, 'Marie Curie a saisi un code déjà utilisé pour confirmer une action sensible'],
  ['aidant.totp_reauthentication_failed', { reason: 'locked' }, 'Marie Curie a tenté de confirmer une action sensible pendant un blocage des codes'],
  ['structure.status_changed', { active: false }, 'Marie Curie a fermé la structure'],
  ['aidant.sign_in_failed', { reason: 'bad_totp' }, 'une tentative de connexion de Paul Langevin a été refusée (code à usage unique erroné)'],
  ['aidant.locked', { scope: 'account', until: '2027-03-12T09:29:00.000Z' }, 'la connexion de Paul Langevin a été bloquée jusqu’au 12 mars 2027 à 10:29'],
  ['aidant.signed_out', { reason: 'idle_timeout' }, 'la session de Marie Curie a été fermée après une période d’inactivité'],
  ['aidant.structure_switched', { from: null, to: 's1' }, 'Marie Curie a changé de structure courante'],
  ['aidant.totp_reauthenticated', { device: 'card' }, 'Marie Curie a confirmé son identité avec sa carte à code'],
  ['aidant.invited', { roles: ['aidant', 'referent'], newAccount: true, invitationExpiresAt: null }, 'Marie Curie a invité Paul Langevin (rôle aidant et référent)'],
  ['aidant.activated', { totpDevice: 'app' }, 'Marie Curie a activé son compte'],
  ['aidant.membership_accepted', { roles: ['aidant'], invitedBy: null }, 'Marie Curie a accepté de rejoindre la structure (rôle aidant)'],
  ['aidant.membership_declined', { roles: ['aidant', 'referent'], invitedBy: null }, 'Marie Curie a refusé de rejoindre la structure (rôle aidant et référent)'],
  ['aidant.habilitation_changed', { from: 'habilitated', to: 'suspended' }, 'Marie Curie a changé l’habilitation de Paul Langevin : habilité → suspendu'],
  ['aidant.suspended', {}, 'Marie Curie a suspendu Paul Langevin dans la structure'],
  ['aidant.reactivated', {}, 'Marie Curie a réactivé Paul Langevin dans la structure'],
  ['aidant.password_changed', { otherSessionsEnded: 2 }, 'Marie Curie a changé son mot de passe (2 sessions terminées)'],
  ['aidant.password_change_failed', { reason: 'bad_password' }, 'Marie Curie n’a pas pu changer son mot de passe (mot de passe actuel erroné)'],
  ['aidant.sessions_ended', { scope: 'others', count: 3, reason: 'aidant' }, 'Marie Curie a terminé ses autres sessions (3)'],
  ['aidant.role_changed', { before: ['aidant'], after: ['aidant', 'referent'] }, 'Marie Curie a changé les rôles de Paul Langevin : aidant → aidant et référent'],
  ['totp_card.registered', { serial: 'C123', step: 30, assigned: true }, 'Marie Curie a associé la carte C123 à Paul Langevin'],
  ['totp_card.resynchronised', { serial: 'C123', driftSteps: 2 }, 'Marie Curie a resynchronisé la carte C123'],
  ['totp_card.revoked', { serial: 'C123' }, 'Marie Curie a révoqué la carte C123'],
  ['structure.created', { name: 'Mairie', siret: '12345678901234', type: 'mairie', allowedDemarches: [] }, 'Marie Curie a créé la structure Mairie (SIRET 12345678901234)'],
  ['structure.demarches_restricted', { before: [], after: ['logement', 'social'] }, 'Marie Curie a limité les démarches de la structure à : Logement, Social – Santé'],
  ['journal.exported', { chain: 's1', format: 'csv', rows: 42, complete: false }, 'Marie Curie a exporté le journal (CSV, 42 lignes, téléchargement interrompu)'],
  ['journal.verified', { chain: 's1', ok: true, entries: 12 }, 'Marie Curie a vérifié l’intégrité du journal (12 entrées, intègre)'],
  [
    'journal.witness_refused',
    { witness: 'witness.example', origin: 'procuration.example/journal/s1', size: 20, cosignedSize: 12, reason: 'not consistent' },
    'Le témoin witness.example a refusé le point de contrôle de taille 20 : il ne prolonge pas l’historique de taille 12 qu’il avait attesté (historique réécrit)',
  ],
  [
    'journal.tree_upgraded',
    { tree: 2 },
    'Le journal est passé à la version 2 de son arbre de preuves : les preuves ne contiennent plus l’adresse IP ni le navigateur de la personne qui a agi',
  ],
  ['keys.rotated', { purpose: 'journal', kid: 'k', retiredKid: null }, 'Marie Curie a renouvelé une clé de signature du service'],
  ['franceconnect.consent_started', {}, 'Marie Curie a lancé une identification FranceConnect'],
  ['franceconnect.consent_verified', { intent: 'mandate_consent' }, 'Jean Dupont a confirmé son identité avec FranceConnect pour donner son accord à un mandat'],
  ['franceconnect.failed', {}, 'Marie Curie : l’identification FranceConnect a échoué'],
  ['usager.signed_in', {}, 'Jean Dupont a ouvert une session avec FranceConnect'],
  ['usager.signed_out', {}, 'Jean Dupont a fermé sa session'],
  ['usager.identity_updated', { fields: ['email'] }, 'l’identité de Jean Dupont a été mise à jour depuis FranceConnect'],
  ['usager.created', {}, 'la fiche de Jean Dupont a été créée depuis FranceConnect'],
  ['mandate.started', { demarches: ['logement'], duration: 'mois' }, 'Marie Curie a commencé l’ouverture d’un mandat Logement de 31 jours'],
  ['mandate.created', { demarches: ['logement', 'social'], duration: 'long' }, 'Marie Curie a ouvert un mandat Logement, Social – Santé de 365 jours pour Jean Dupont'],
  ['mandate.renewed', { renewedFrom: 'm0' }, 'Marie Curie a renouvelé le mandat de Jean Dupont'],
  ['mandate.revoked', { by: 'usager', reason: 'usager', autorisations: [] }, 'Marie Curie a révoqué le mandat de Jean Dupont (à la demande de l’usager)'],
  ['mandate.expired', { expiresAt: '2027-03-12T09:14:00.000Z' }, 'le mandat de Jean Dupont est arrivé à échéance'],
  ['autorisation.created', { autorisationId: 'x' }, 'l’autorisation Logement de Jean Dupont a été créée'],
  ['autorisation.superseded', { autorisationId: 'x' }, 'l’autorisation Logement de Jean Dupont a été remplacée par un nouveau mandat'],
  ['autorisation.revoked', { reason: 'superseded' }, 'Marie Curie a révoqué l’autorisation Logement de Jean Dupont (remplacée par un nouveau mandat)'],
  ['attestation.issued', { kind: 'mandate', kid: 'k' }, 'Marie Curie a émis l’attestation du mandat de Jean Dupont'],
  ['attestation.verified', { kind: 'mandate', kid: 'k', status: 'live' }, 'l’attestation du mandat de Jean Dupont a été vérifiée (mandat en cours)'],
  ['autorisation.used', {}, 'Marie Curie a agi pour Jean Dupont sur Caisse d’allocations (démarche Logement)'],
  ['partner.disabled', {}, 'Marie Curie a désactivé le service partenaire Caisse d’allocations'],
  ['partner.secret_rotated', {}, 'Marie Curie a renouvelé le secret du service partenaire Caisse d’allocations'],
  ['partner.userinfo_served', { endpoint: 'userinfo' }, 'Caisse d’allocations a obtenu l’identité de Jean Dupont'],
  ['partner.access_refused', { reason: 'no_live_mandate' }, 'Marie Curie n’a pas pu agir sur Caisse d’allocations (aucun mandat en cours)'],
  ['partner.registered', {}, 'Marie Curie a enregistré le service partenaire Caisse d’allocations'],
  ['partner.sign_in_ended', { reason: 'aidant_signed_out' }, 'la connexion de Caisse d’allocations pour Jean Dupont a été terminée (déconnexion de l’aidant)'],
  ['notice.queued', { noticeId: 'n1', kind: 'use' }, 'un message sur une utilisation d’un mandat pour Jean Dupont a été mis en file d’envoi'],
  ['notice.sent', { noticeId: 'n1', kind: 'structure_reminder', attempts: 1 }, 'un message de rappel des mandats à renouveler a été envoyé à Paul Langevin'],
  ['notice.failed', { noticeId: 'n1', kind: 'revocation', attempts: 1, smtpCode: 550 }, 'un message sur une révocation pour Jean Dupont a été refusé par sa messagerie'],
  [
    'notice.failed',
    { noticeId: 'n2', kind: 'use', attempts: 0, smtpCode: null, reason: 'address_bounced' },
    'un message sur une utilisation d’un mandat pour Jean Dupont n’a pas été envoyé : son adresse avait été refusée par sa messagerie',
  ],
  ['notice.failed', { noticeId: 'n3', kind: 'use', attempts: 0, smtpCode: null, reason: 'opted_out' }, 'un message sur une utilisation d’un mandat pour Jean Dupont n’a pas été envoyé : la personne ne souhaite plus être prévenue'],
  ['notice.failed', { noticeId: 'n4', kind: 'revocation', attempts: 0, smtpCode: null, reason: 'no_address' }, 'un message sur une révocation pour Jean Dupont n’a pas été envoyé : aucune adresse confirmée n’est plus utilisable'],
  ['consent_request.access_refused', { via: 'link', reason: 'throttled', requestId: null }, 'trop de liens ou de codes de consentement erronés depuis une même adresse : les essais sont suspendus'],
  ['notice_address.confirmed', { addressHash: 'ab', mode: 'each' }, 'Jean Dupont a confirmé son adresse pour être prévenu'],
  ['consent_request.created', { requestId: 'r1', channel: 'phone', demarches: ['logement'], duration: 'mois' }, 'Marie Curie a préparé une demande de consentement à distance pour un mandat Logement de 31 jours (code à lire par téléphone)'],
  ['consent_request.sent', { requestId: 'r1', channel: 'email', delivery: 'kept' }, 'le lien de la demande de consentement a été envoyé par courriel'],
  ['consent_request.accepted', { requestId: 'r1', channel: 'email' }, 'Jean Dupont a donné son accord à distance, avec FranceConnect'],
  ['consent_request.refused', { requestId: 'r1', reason: 'aidant_unavailable' }, 'la demande de consentement à distance a été refusée : l’aidant ou la structure ne peut plus agir'],
  ['consent_request.expired', { requestId: 'r1' }, 'la demande de consentement à distance a expiré sans réponse'],
  ['consent_request.cancelled', { requestId: 'r1' }, 'Marie Curie a annulé la demande de consentement à distance'],
  ['consent_request.identity_mismatch', { requestId: 'r1', fields: ['birthdate'] }, 'la demande de consentement à distance a été refusée : l’identité FranceConnect ne correspond pas à la personne attendue'],
  ['consent_request.access_refused', { via: 'code', reason: 'throttled', requestId: null }, 'trop de codes de consentement erronés depuis une même adresse : les essais sont suspendus'],
];

describe('describeEntry', () => {
  it.each(TABLE)('%s', (action, details, sentence) => {
    expect(describeEntry(entry(action, details, { demarche: 'logement' }), names)).toBe(`Le 12 mars 2027 à 10:14, ${sentence}`);
  });

  it('has a row in this table for every action it describes', () => {
    expect([...new Set(TABLE.map(([action]) => action))].sort()).toEqual([...DESCRIBED_ACTIONS].sort());
  });

  it('falls back to a generic sentence for an action it does not know', () => {
    expect(describeEntry(entry('teleportation.started'), names)).toBe('Le 12 mars 2027 à 10:14, Marie Curie : autre action');
  });

  it.each([
    [{ type: 'operator', id: null }, 'un opérateur de Procuration'],
    [{ type: 'system', id: null }, 'le service'],
    [{ type: 'aidant', id: 'unknown' }, 'un aidant'],
    [{ type: 'usager', id: USAGER }, 'Jean Dupont'],
    [{ type: 'partner', id: PARTNER }, 'Caisse d’allocations'],
  ])('names the actor %j', (actor, phrase) => {
    expect(describeEntry(entry('aidant.signed_in', {}, { actor }), names)).toBe(`Le 12 mars 2027 à 10:14, ${phrase} a ouvert une session`);
  });

  it('never shows a partner’s id when its name is unknown', () => {
    expect(describeEntry(entry('autorisation.used', {}, { demarche: 'logement' }), { ...names, partners: new Map() })).toBe(
      'Le 12 mars 2027 à 10:14, Marie Curie a agi pour Jean Dupont sur un service partenaire (démarche Logement)',
    );
  });

  it('elides "de" before a vowel or a mute h', () => {
    const vowels: EntryNames = { ...names, usagers: new Map([[USAGER, 'Angela DUBOIS']]), aidants: new Map([[AIDANT, 'Marie Curie'], [OTHER, 'Hélène Marchand']]) };
    expect(describeEntry(entry('mandate.expired', {}), vowels)).toBe('Le 12 mars 2027 à 10:14, le mandat d’Angela DUBOIS est arrivé à échéance');
    expect(describeEntry(entry('aidant.role_changed', { before: [], after: ['aidant'] }), vowels)).toBe(
      'Le 12 mars 2027 à 10:14, Marie Curie a changé les rôles d’Hélène Marchand : aucun rôle → aidant',
    );
  });

  it('agrees counts with their number', () => {
    expect(describeEntry(entry('aidant.password_changed', { otherSessionsEnded: 1 }), names)).toBe(
      'Le 12 mars 2027 à 10:14, Marie Curie a changé son mot de passe (1 session terminée)',
    );
    expect(describeEntry(entry('journal.verified', { ok: true, entries: 1 }), names)).toBe(
      'Le 12 mars 2027 à 10:14, Marie Curie a vérifié l’intégrité du journal (1 entrée, intègre)',
    );
  });

  it('says so neutrally when names are missing', () => {
    expect(describeEntry(entry('mandate.created', { demarches: ['logement'], duration: 'court' }))).toBe(
      'Le 12 mars 2027 à 10:14, un aidant a ouvert un mandat Logement d’un jour pour un usager',
    );
  });

  it('shows French local time across the daylight saving change', () => {
    expect(frenchDateTime('2027-07-01T08:05:00.000Z')).toBe('1er juillet 2027 à 10:05');
  });
});
