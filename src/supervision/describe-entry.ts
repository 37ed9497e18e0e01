import { DEMARCHES } from '../demarches/demarches.js';
import type { JournalAction } from '../journal/journal.actions.js';
import type { JournalEntry } from '../journal/journal.types.js';
import { actionLabel, de, frenchDateTime as parisDateTime, plural } from '../web/french/index.js';

/** Names to show for the ids an entry carries; an id without a name gets a neutral phrase. */
export interface EntryNames {
  aidants?: ReadonlyMap<string, string>;
  usagers?: ReadonlyMap<string, string>;
  partners?: ReadonlyMap<string, string>;
  structures?: ReadonlyMap<string, string>;
}

type Entry = Pick<JournalEntry, 'at' | 'action' | 'actor' | 'subjects' | 'demarche' | 'details' | 'chain'>;

interface Phrases {
  who: string;
  aidant: string;
  usager: string;
  partner: string;
  demarche: string;
  d: Record<string, unknown>;
}

type Describer = (p: Phrases) => string;


/** `12 mars 2027 à 10:14`, Paris time. */
export function frenchDateTime(at: string | Date): string {
  return parisDateTime(at);
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function demarcheLabelOf(id: string | null | undefined): string {
  if (!id) return '';
  return DEMARCHES.find((d) => d.id === id)?.label ?? id;
}

const demarchesOf = (v: unknown): string => list(v).map(demarcheLabelOf).join(', ');

const ROLE_LABELS: Record<string, string> = { aidant: 'aidant', referent: 'référent' };
const roles = (v: unknown): string => list(v).map((r) => ROLE_LABELS[r] ?? r).join(' et ') || 'aucun rôle';

const SIGN_IN_FAILURES: Record<string, string> = {
  unknown_account: 'compte inconnu',
  not_activated: 'compte non activé',
  bad_password: 'mot de passe erroné',
  bad_totp: 'code à usage unique erroné',
  totp_replayed: 'code à usage unique déjà utilisé',
  no_totp_device: 'aucun moyen d’authentification',
  locked: 'connexion bloquée',
  not_habilitated: 'aidant non habilité',
  no_active_structure: 'aucune structure active',
};

/** How a session ended; worded so that nothing agrees with a gender the journal does not know. */
const SIGN_OUT_REASONS: Record<string, (who: string) => string> = {
  user: (who) => `${who} a fermé sa session`,
  expired: (who) => `la session ${de(who)} a expiré`,
  idle_timeout: (who) => `la session ${de(who)} a été fermée après une période d’inactivité`,
  absolute_timeout: (who) => `la session ${de(who)} a atteint sa durée maximale`,
  access_withdrawn: (who) => `la session ${de(who)} a été fermée (accès retiré)`,
};

const PASSWORD_CHANGE_FAILURES: Record<string, string> = {
  bad_password: 'mot de passe actuel erroné',
  bad_totp: 'code à usage unique erroné',
  totp_replayed: 'code à usage unique déjà utilisé',
};

const SESSIONS_ENDED_REASONS: Record<string, string> = {
  password_reset: 'réinitialisation du mot de passe',
  suspended: 'suspension',
  habilitation_changed: 'changement d’habilitation',
};

const sessions = (n: number): string => plural(n, 'session');

const HABILITATION: Record<string, string> = {
  requested: 'demandée',
  habilitated: 'habilité',
  suspended: 'suspendu',
  revoked: 'révoqué',
};

const REVOCATION_REASONS: Record<string, string> = {
  superseded: 'remplacée par un nouveau mandat',
  usager: 'à la demande de l’usager',
  aidant: 'par un aidant',
  expired: 'arrivée à échéance',
};

const MANDATE_STATUS: Record<string, string> = { live: 'en cours', expired: 'expiré', revoked: 'révoqué' };
const BY: Record<string, string> = { aidant: 'un aidant', referent: 'un référent', usager: 'l’usager' };
const byPhrase = (d: Record<string, unknown>) => (BY[text(d.by)] && d.by !== 'aidant' ? ` (à la demande ${de(BY[text(d.by)]!)})` : '');

/** Days of a mandate from its details, whatever name its module gives the field. */
function mandateDays(d: Record<string, unknown>): string {
  const days = typeof d.durationDays === 'number' ? d.durationDays : typeof d.days === 'number' ? d.days : null;
  if (days !== null) return ` de ${plural(days, 'jour')}`;
  const named: Record<string, string> = { court: ' d’un jour', mois: ' de 31 jours', semestre: ' de 182 jours', long: ' de 365 jours' };
  return named[text(d.duration) || text(d.duree)] ?? '';
}

const of = (s: string) => (s ? ` ${s}` : '');

/**
 * One sentence per action of the catalogue. The type requires a sentence for
 * every action the catalogue declares; the other keys anticipate actions of
 * modules still being written (used as soon as those actions appear).
 */
const SENTENCES: { [A in JournalAction]: Describer } & Record<string, Describer> = {
  // aidants
  'aidant.signed_in': ({ who }) => `${who} a ouvert une session`,
  'aidant.sign_in_failed': ({ aidant, d }) =>
    `une tentative de connexion ${de(aidant)} a été refusée (${SIGN_IN_FAILURES[text(d.reason)] ?? text(d.reason)})`,
  'aidant.locked': ({ aidant, d }) =>
    d.scope === 'password_change'
      ? `le changement de mot de passe ${de(aidant)} a été bloqué jusqu’au ${frenchDateTime(text(d.until) || new Date(0))}`
      : `la connexion ${d.scope === 'ip' ? 'depuis cette adresse' : de(aidant)} a été bloquée jusqu’au ${frenchDateTime(text(d.until) || new Date(0))}`,
  'aidant.signed_out': ({ who, d }) => (SIGN_OUT_REASONS[text(d.reason)] ?? SIGN_OUT_REASONS.user!)(who),
  'aidant.structure_switched': ({ who }) => `${who} a changé de structure courante`,
  'aidant.totp_reauthenticated': ({ who, d }) => `${who} a confirmé son identité avec ${d.device === 'card' ? 'sa carte' : 'son application'} à code`,
  'aidant.invited': ({ who, aidant, d }) => `${who} a invité ${aidant} (rôle ${roles(d.roles)})`,
  'aidant.membership_accepted': ({ who, d }) => `${who} a accepté de rejoindre la structure (rôle ${roles(d.roles)})`,
  'aidant.membership_declined': ({ who, d }) => `${who} a refusé de rejoindre la structure (rôle ${roles(d.roles)})`,
  'aidant.activated': ({ who }) => `${who} a activé son compte`,
  'aidant.habilitation_changed': ({ who, aidant, d }) =>
    `${who} a changé l’habilitation ${de(aidant)} : ${HABILITATION[text(d.from)] ?? text(d.from)} → ${HABILITATION[text(d.to)] ?? text(d.to)}`,
  'aidant.suspended': ({ who, aidant }) => `${who} a suspendu ${aidant} dans la structure`,
  'aidant.reactivated': ({ who, aidant }) => `${who} a réactivé ${aidant} dans la structure`,
  'aidant.role_changed': ({ who, aidant, d }) => `${who} a changé les rôles ${de(aidant)} : ${roles(d.before)} → ${roles(d.after)}`,
  'aidant.password_changed': ({ who, d }) =>
    `${who} a changé son mot de passe${typeof d.otherSessionsEnded === 'number' && d.otherSessionsEnded > 0 ? ` (${sessions(d.otherSessionsEnded)} ${d.otherSessionsEnded > 1 ? 'terminées' : 'terminée'})` : ''}`,
  'aidant.password_change_failed': ({ who, d }) =>
    `${who} n’a pas pu changer son mot de passe (${PASSWORD_CHANGE_FAILURES[text(d.reason)] ?? text(d.reason)})`,
  'aidant.sessions_ended': ({ who, aidant, d }) =>
    d.reason === 'aidant'
      ? `${who} a terminé ${d.scope === 'one' ? 'une autre de ses sessions' : `ses autres sessions (${typeof d.count === 'number' ? d.count : 0})`}`
      : `${typeof d.count === 'number' ? sessions(d.count) : 'les sessions'} ${de(aidant)} ${d.count === 1 ? 'a été terminée' : 'ont été terminées'} (${SESSIONS_ENDED_REASONS[text(d.reason)] ?? text(d.reason)})`,
  'totp_card.registered': ({ who, aidant, d }) =>
    d.assigned ? `${who} a associé la carte ${text(d.serial)} à ${aidant}` : `${who} a enregistré la carte ${text(d.serial)}`,
  'totp_card.resynchronised': ({ who, d }) => `${who} a resynchronisé la carte ${text(d.serial)}`,
  'totp_card.revoked': ({ who, d }) => `${who} a révoqué la carte ${text(d.serial)}`,
  'aidant.totp_reauthentication_failed': ({ who, d }) =>
    d.reason === 'locked'
      ? `${who} a tenté de confirmer une action sensible pendant un blocage des codes`
      : `${who} a saisi un code ${d.reason === 'totp_replayed' ? 'déjà utilisé' : 'erroné'} pour confirmer une action sensible`,
  'structure.status_changed': ({ who, d }) => `${who} a ${d.active ? 'rouvert' : 'fermé'} la structure`,
  'structure.created': ({ who, d }) => `${who} a créé la structure ${text(d.name)} (SIRET ${text(d.siret)})`,
  'structure.demarches_restricted': ({ who, d }) => `${who} a limité les démarches de la structure à : ${demarchesOf(d.after) || 'aucune'}`,
  // journal
  'journal.exported': ({ who, d }) =>
    `${who} a exporté le journal (${d.format === 'csv' ? 'CSV' : 'JSON Lines'}${typeof d.rows === 'number' ? `, ${plural(d.rows, 'ligne')}` : ''}${d.complete === false ? ', téléchargement interrompu' : ''})`,
  'journal.verified': ({ who, d }) =>
    `${who} a vérifié l’intégrité du journal (${typeof d.entries === 'number' ? `${plural(d.entries, 'entrée')}, ` : ''}${d.ok ? 'intègre' : 'anomalie détectée'})`,
  'journal.witness_refused': ({ d }) =>
    `Le témoin ${text(d.witness)} a refusé le point de contrôle de taille ${String(d.size)} : il ne prolonge pas l’historique de taille ${String(d.cosignedSize)} qu’il avait attesté (historique réécrit)`,
  'journal.tree_upgraded': ({ d }) =>
    `Le journal est passé à la version ${String(d.tree)} de son arbre de preuves : les preuves ne contiennent plus l’adresse IP ni le navigateur de la personne qui a agi`,
  // keys
  'keys.rotated': ({ who }) => `${who} a renouvelé une clé de signature du service`,
  // franceconnect, usagers, mandates; then anticipated: provider.
  'franceconnect.consent_started': ({ who }) => `${who} a lancé une identification FranceConnect`,
  'franceconnect.consent_verified': ({ usager, d }) =>
    `${usager} a confirmé son identité avec FranceConnect${d.intent === 'mandate_consent' ? ' pour donner son accord à un mandat' : ''}`,
  'franceconnect.failed': ({ who }) => `${who} : l’identification FranceConnect a échoué`,
  'usager.signed_in': ({ usager }) => `${usager} a ouvert une session avec FranceConnect`,
  'usager.signed_out': ({ usager }) => `${usager} a fermé sa session`,
  'usager.identity_updated': ({ usager }) => `l’identité ${de(usager)} a été mise à jour depuis FranceConnect`,
  'usager.created': ({ usager }) => `la fiche ${de(usager)} a été créée depuis FranceConnect`,
  'mandate.started': ({ who, d }) => `${who} a commencé l’ouverture d’un mandat${of(demarchesOf(d.demarches))}${mandateDays(d)}`,
  'mandate.created': ({ who, usager, d }) => `${who} a ouvert un mandat${of(demarchesOf(d.demarches))}${mandateDays(d)} pour ${usager}`,
  'mandate.renewed': ({ who, usager }) => `${who} a renouvelé le mandat ${de(usager)}`,
  'mandate.revoked': ({ who, usager, d }) => `${who} a révoqué le mandat ${de(usager)}${byPhrase(d)}`,
  'mandate.expired': ({ usager }) => `le mandat ${de(usager)} est arrivé à échéance`,
  'autorisation.created': ({ usager, demarche }) => `l’autorisation ${demarche} ${de(usager)} a été créée`,
  'autorisation.superseded': ({ usager, demarche }) => `l’autorisation ${demarche} ${de(usager)} a été remplacée par un nouveau mandat`,
  'autorisation.revoked': ({ who, usager, demarche, d }) =>
    `${who} a révoqué l’autorisation ${demarche} ${de(usager)}${d.reason && REVOCATION_REASONS[text(d.reason)] ? ` (${REVOCATION_REASONS[text(d.reason)]})` : ''}`,
  'attestation.issued': ({ who, usager, d }) => `${who} a émis l’attestation ${d.kind === 'revocation' ? 'de révocation du mandat' : 'du mandat'} ${de(usager)}`,
  'attestation.verified': ({ usager, d }) => `l’attestation du mandat ${de(usager)} a été vérifiée (mandat ${MANDATE_STATUS[text(d.status)] ?? text(d.status)})`,
  'autorisation.used': ({ who, usager, demarche, partner }) => `${who} a agi pour ${usager} sur ${partner} (démarche ${demarche})`,
  'partner.registered': ({ who, partner }) => `${who} a enregistré le service partenaire ${partner}`,
  'partner.disabled': ({ who, partner }) => `${who} a désactivé le service partenaire ${partner}`,
  'partner.secret_rotated': ({ who, partner }) => `${who} a renouvelé le secret du service partenaire ${partner}`,
  'partner.userinfo_served': ({ usager, partner, d }) =>
    `${partner} a ${d.endpoint === 'introspection' ? 'vérifié un jeton' : 'obtenu l’identité'} ${de(usager)}`,
  'partner.access_refused': ({ who, partner, d }) => `${who} n’a pas pu agir sur ${partner} (${ACCESS_REFUSED[text(d.reason)] ?? 'refus'})`,
  'partner.sign_in_ended': ({ usager, partner, d }) =>
    `la connexion ${de(partner)} pour ${usager} a été terminée (${SIGN_IN_ENDED[text(d.reason)] ?? 'fin anticipée'})`,
  'consent_request.created': ({ who, d }) =>
    `${who} a préparé une demande de consentement à distance pour un mandat${of(demarchesOf(d.demarches))}${mandateDays(d)}${d.channel === 'phone' ? ' (code à lire par téléphone)' : ' (lien par courriel)'}`,
  'consent_request.sent': ({ d }) =>
    d.delivery === 'shown'
      ? 'le code de la demande de consentement a été affiché à l’aidant pour être lu par téléphone'
      : `le lien de la demande de consentement a été ${d.delivery === 'failed' ? 'refusé par la messagerie' : 'envoyé par courriel'}`,
  'consent_request.accepted': ({ usager }) => `${usager} a donné son accord à distance, avec FranceConnect`,
  'consent_request.refused': ({ d }) =>
    d.reason === 'aidant_unavailable'
      ? 'la demande de consentement à distance a été refusée : l’aidant ou la structure ne peut plus agir'
      : 'la personne a refusé la demande de consentement à distance',
  'consent_request.expired': () => 'la demande de consentement à distance a expiré sans réponse',
  'consent_request.cancelled': ({ who }) => `${who} a annulé la demande de consentement à distance`,
  'consent_request.identity_mismatch': () =>
    'la demande de consentement à distance a été refusée : l’identité FranceConnect ne correspond pas à la personne attendue',
  'consent_request.access_refused': ({ d }) =>
    d.reason === 'throttled'
      ? d.via === 'link'
        ? 'trop de liens ou de codes de consentement erronés depuis une même adresse : les essais sont suspendus'
        : 'trop de codes de consentement erronés depuis une même adresse : les essais sont suspendus'
      : `un ${d.via === 'code' ? 'code' : 'lien'} de consentement à distance inutilisable a été présenté`,
  'notice.queued': ({ usager, aidant, d }) => `un message ${NOTICE_KINDS[text(d.kind)] ?? ''} pour ${noticeFor(d, usager, aidant)} a été mis en file d’envoi`,
  'notice.sent': ({ usager, aidant, d }) => `un message ${NOTICE_KINDS[text(d.kind)] ?? ''} a été envoyé à ${noticeFor(d, usager, aidant)}`,
  'notice.failed': ({ usager, aidant, d }) =>
    d.reason === 'opted_out' || d.reason === 'no_address'
      ? `un message ${NOTICE_KINDS[text(d.kind)] ?? ''} pour ${noticeFor(d, usager, aidant)} n’a pas été envoyé : ${d.reason === 'opted_out' ? 'la personne ne souhaite plus être prévenue' : 'aucune adresse confirmée n’est plus utilisable'}`
      : d.reason === 'address_bounced'
      ? `un message ${NOTICE_KINDS[text(d.kind)] ?? ''} pour ${noticeFor(d, usager, aidant)} n’a pas été envoyé : son adresse avait été refusée par sa messagerie`
      : `un message ${NOTICE_KINDS[text(d.kind)] ?? ''} pour ${noticeFor(d, usager, aidant)} a été refusé par sa messagerie`,
  'notice_address.confirmed': ({ usager }) => `${usager} a confirmé son adresse pour être prévenu`,
};

const NOTICE_KINDS: Record<string, string> = {
  mandate_created: 'sur la création d’un mandat',
  use: 'sur une utilisation d’un mandat',
  revocation: 'sur une révocation',
  expiring: 'sur la fin prochaine d’un mandat',
  structure_reminder: 'de rappel des mandats à renouveler',
};

/** The weekly reminder goes to an aidant; every other notice to the usager. */
const noticeFor = (d: Record<string, unknown>, usager: string, aidant: string): string => (d.kind === 'structure_reminder' ? aidant : usager);

const SIGN_IN_ENDED: Record<string, string> = {
  partner_logout: 'déconnexion demandée par le service',
  aidant_signed_out: 'déconnexion de l’aidant',
  client_auth_refused: 'authentification du service refusée',
};

const ACCESS_REFUSED: Record<string, string> = {
  no_live_mandate: 'aucun mandat en cours',
  demarche_not_served: 'démarche non proposée par ce service',
  autorisation_not_live: 'autorisation révoquée ou expirée',
  rep_scope_not_covered: 'démarches demandées non couvertes',
  aidant_cancelled: 'abandon par l’aidant',
};

function nameOf(map: ReadonlyMap<string, string> | undefined, id: string | null, fallback: string): string {
  return (id && map?.get(id)) || fallback;
}

function actorPhrase(entry: Entry, names: EntryNames): string {
  const { type, id } = entry.actor;
  switch (type) {
    case 'aidant':
      return nameOf(names.aidants, id, 'un aidant');
    case 'usager':
      return nameOf(names.usagers, id, 'l’usager');
    case 'operator':
      return 'un opérateur de Procuration';
    case 'partner':
      return nameOf(names.partners, id, 'un service partenaire');
    default:
      return 'le service';
  }
}

/**
 * The entry as one French sentence: "Le 12 mars 2027 à 10:14, Marie Curie a
 * ouvert un mandat Logement de 365 jours pour Jean Dupont". An action this
 * function does not know (a future one) gets a generic sentence naming it.
 */
export function describeEntry(entry: Entry, names: EntryNames = {}): string {
  const details = entry.details ?? {};
  const phrases: Phrases = {
    who: actorPhrase(entry, names),
    aidant: nameOf(names.aidants, entry.subjects.aidantId, 'un aidant'),
    usager: nameOf(names.usagers, entry.subjects.usagerId, 'un usager'),
    partner: nameOf(names.partners, entry.subjects.partnerId, 'un service partenaire'),
    demarche: demarcheLabelOf(entry.demarche) || 'non précisée',
    d: details,
  };
  const describer = Object.hasOwn(SENTENCES, entry.action) ? SENTENCES[entry.action] : undefined;
  const sentence = describer ? describer(phrases) : `${phrases.who} : ${actionLabel(entry.action).toLowerCase()}`;
  return `Le ${frenchDateTime(entry.at)}, ${sentence}`;
}

/** The actions `describeEntry` knows, for the search form's list. */
export const DESCRIBED_ACTIONS: readonly string[] = Object.keys(SENTENCES);
