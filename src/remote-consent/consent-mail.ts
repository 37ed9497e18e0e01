import type { AidantActor } from '../aidants/aidant-actor.js';
import { demarcheLabel } from '../demarches/demarches.js';
import { DURATIONS } from '../mandates/mandate-status.js';
import { frenchDateTime } from '../web/french/index.js';
import type { ConsentRequest } from './consent-request.js';

/** The mail carrying the link: who asks, for what, until when; and that nothing happens without FranceConnect. */
export function consentMail(row: ConsentRequest, actor: AidantActor, link: string): { subject: string; text: string } {
  return {
    subject: 'Procuration : une demande de mandat attend votre accord',
    text: [
      'Bonjour,',
      '',
      `${actor.givenName} ${actor.familyName}, aidant de la structure « ${actor.structureName} », vous propose un mandat pour l’aider dans vos démarches en ligne :`,
      `démarches ${row.demarches.map(demarcheLabel).join(', ')}, pour ${DURATIONS[row.duration].label}.`,
      '',
      'Pour lire le détail, puis donner votre accord ou refuser, identifiez-vous avec FranceConnect en suivant ce lien :',
      '',
      link,
      '',
      `Ce lien ne sert qu’une fois et expire le ${frenchDateTime(row.expiresAt)} (heure de Paris).`,
      'Si vous n’attendiez pas cette demande, ignorez ce message : aucun mandat n’est créé sans votre accord.',
    ].join('\n'),
  };
}
