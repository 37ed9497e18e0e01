import type { EntityManager } from 'typeorm';
import type { BrowserSession } from '../sessions/browser-session.js';
import { effectiveStatus, type ConsentRequest } from './consent-request.js';
import { consentRequestsRepository as repo } from './consent-requests.repository.js';
import type { RemoteConsentProgress } from './consent-session.js';
import { ConsentRequestUnusableError, ConsentStepError } from './remote-consent.errors.js';

/**
 * What the usager's steps share (ConsentAnswersService, and the
 * FranceConnect return in ConsentFranceConnectHandler): the pages' paths,
 * why a request can no longer be answered, and the progress kept in the
 * browser session.
 */
export const RECAP_PATH = '/consentement/demande';
export const DECISION_PATH = '/consentement/demande/accord';
export const RESULT_PATH = '/consentement/demande/resultat';

export type Refusal = 'unknown' | 'expired' | 'answered' | 'cancelled';

const REFUSAL_MESSAGES: Record<Refusal, string> = {
  unknown: 'Ce lien ou ce code ne correspond à aucune demande. Vérifiez-le, ou demandez à l’aidant de vous en transmettre un nouveau.',
  expired: 'Cette demande a expiré (elle est valable 24 heures). Demandez à l’aidant d’en préparer une nouvelle.',
  answered: 'Cette demande a déjà reçu une réponse : un lien ou un code ne sert qu’une fois.',
  cancelled: 'L’aidant a annulé cette demande. Rien n’a été créé en votre nom.',
};

export function refusalOf(row: ConsentRequest | null, now: Date): Refusal | null {
  if (!row) return 'unknown';
  const status = effectiveStatus(row, now);
  if (status === 'pending') return null;
  if (status === 'expired') return 'expired';
  if (status === 'cancelled') return 'cancelled';
  return 'answered';
}

/**
 * The request locked until the transaction ends, if it can still be
 * answered (a pending one past its end is refused here and marked expired
 * by ConsentExpiryJob).
 */
export async function lockUsable(m: EntityManager, id: string, now: Date): Promise<ConsentRequest> {
  const row = await repo.findById(m, id, true);
  const refusal = refusalOf(row, now);
  if (refusal) throw unusable(refusal);
  return row!;
}

export function progressOf(session: BrowserSession): RemoteConsentProgress {
  const progress = session.data.remoteConsent;
  if (!progress || progress.outcome) throw noStep();
  return progress;
}

export function noStep(): ConsentStepError {
  return new ConsentStepError(
    'Aucune demande de mandat n’est ouverte dans ce navigateur. Suivez le lien reçu par courriel, ou saisissez le code donné par l’aidant.',
    'no consent request in this session',
  );
}

export function unusable(refusal: Refusal): ConsentRequestUnusableError {
  return new ConsentRequestUnusableError(REFUSAL_MESSAGES[refusal], `consent request unusable: ${refusal}`);
}
