import { demarcheLabel, isDemarcheId } from '../demarches/demarches.js';

/** What a notice is about, as queued (names resolved at the event, so the mail tells the past as it was). */
export type NoticeKind = 'mandate_created' | 'use' | 'revocation' | 'expiring' | 'structure_reminder';

export interface QueuedNotice {
  id: string;
  kind: NoticeKind;
  recipient: string;
  digest: boolean;
  facts: Record<string, unknown>;
}

export interface ComposedMail {
  subject: string;
  text: string;
}

function frenchDateTime(iso: unknown): string {
  const at = new Date(String(iso));
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(at);
}

function frenchDate(iso: unknown): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' }).format(new Date(String(iso)));
}

function demarches(value: unknown): string {
  const ids = Array.isArray(value) ? value : [value];
  return ids.map((id) => (isDemarcheId(id) ? demarcheLabel(id) : String(id))).join(', ');
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The closing lines every notice to a usager carries: where to look, how to revoke. */
function usagerFooter(publicUrl: string): string[] {
  return [
    '',
    `Retrouvez vos mandats et tout ce qui a été fait en votre nom dans votre espace : ${publicUrl}/usager`,
    'Pour révoquer un mandat, identifiez-vous avec FranceConnect dans votre espace et choisissez « Révoquer » en face du mandat. Vous pouvez aussi le demander à la structure qui l’a créé.',
    'Si vous ne souhaitez plus recevoir ces messages, changez votre choix dans la rubrique « Être prévenu » de votre espace.',
  ];
}

function useLine(facts: Record<string, unknown>): string {
  return `– le ${frenchDateTime(facts.at)}, ${str(facts.aidant)} (${str(facts.structure)}) a utilisé votre mandat auprès de ${str(facts.partner)} pour la démarche « ${demarches(facts.demarche)} ».`;
}

/** One notice, or several use notices of one usager grouped in a daily summary. */
export function composeNotice(notices: readonly QueuedNotice[], publicUrl: string): ComposedMail {
  const first = notices[0]!;
  const facts = first.facts;
  switch (first.kind) {
    case 'use':
      if (first.digest) {
        return {
          subject: 'Procuration : résumé des utilisations de vos mandats',
          text: [
            'Bonjour,',
            '',
            notices.length === 1
              ? 'Voici ce qui a été fait en votre nom depuis le dernier résumé :'
              : `Voici les ${notices.length} utilisations de vos mandats depuis le dernier résumé :`,
            '',
            ...notices.map((n) => useLine(n.facts)),
            ...usagerFooter(publicUrl),
          ].join('\n'),
        };
      }
      return {
        subject: 'Procuration : un mandat a été utilisé en votre nom',
        text: ['Bonjour,', '', 'Un mandat que vous avez donné vient d’être utilisé :', '', useLine(facts), ...usagerFooter(publicUrl)].join('\n'),
      };
    case 'mandate_created':
      return {
        subject: 'Procuration : un mandat a été créé en votre nom',
        text: [
          'Bonjour,',
          '',
          `Le ${frenchDateTime(facts.at)}, ${str(facts.aidant)} (${str(facts.structure)}) a créé un mandat en votre nom pour les démarches : ${demarches(facts.demarches)}.`,
          `Ce mandat prend fin le ${frenchDate(facts.expiresAt)}.`,
          'Si vous n’avez pas donné ce mandat, révoquez-le sans attendre et prévenez la structure.',
          ...usagerFooter(publicUrl),
        ].join('\n'),
      };
    case 'revocation':
      return {
        subject: 'Procuration : un mandat a été révoqué',
        text: [
          'Bonjour,',
          '',
          `Le ${frenchDateTime(facts.at)}, votre mandat auprès de ${str(facts.structure)} a été révoqué ${facts.by === 'usager' ? 'par vous-même' : 'par la structure'}. Plus personne ne peut l’utiliser.`,
          ...usagerFooter(publicUrl),
        ].join('\n'),
      };
    case 'expiring':
      return {
        subject: 'Procuration : un de vos mandats prend bientôt fin',
        text: [
          'Bonjour,',
          '',
          `Votre mandat auprès de ${str(facts.structure)} pour les démarches ${demarches(facts.demarches)} prend fin le ${frenchDate(facts.expiresAt)}.`,
          'Pour le prolonger, adressez-vous à la structure : elle vous proposera de le renouveler. Sans rien faire, il prendra fin à cette date.',
          ...usagerFooter(publicUrl),
        ].join('\n'),
      };
    case 'structure_reminder': {
      const mandates = Array.isArray(facts.mandates) ? (facts.mandates as Array<Record<string, unknown>>) : [];
      return {
        subject: `Procuration : ${mandates.length} mandat(s) de « ${str(facts.structure)} » prennent fin dans les 30 jours`,
        text: [
          'Bonjour,',
          '',
          `Ces mandats longs ou semestriels de la structure « ${str(facts.structure)} » prennent fin dans les 30 prochains jours. Pour en renouveler un, suivez son lien (la personne devra donner son accord) :`,
          '',
          ...mandates.map((m) => `– ${str(m.usager)}, ${demarches(m.demarches)}, fin le ${frenchDate(m.expiresAt)} : ${publicUrl}/aidant/mandats/${str(m.id)}/renouvellement`),
          '',
          'Vous recevez ce rappel une fois par semaine tant que des mandats de la structure prennent fin dans les 30 jours.',
        ].join('\n'),
      };
    }
  }
}
