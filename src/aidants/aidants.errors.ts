import { DomainError } from '../shared/domain-error.js';

/** Sign-in refused: one message whatever was wrong, so accounts cannot be enumerated. */
export class SignInRefusedError extends DomainError {
  readonly code = 'aidant.sign_in_refused';
  readonly status = 401;
  readonly title = 'Connexion impossible';
  constructor(logMessage: string) {
    super(
      'Adresse électronique, mot de passe ou code à usage unique incorrect. Vérifiez votre saisie et réessayez.',
      logMessage,
    );
  }
}

/** Too many failures for this account or this address: locked until a given time. */
export class SignInLockedError extends DomainError {
  readonly code = 'aidant.locked';
  readonly status = 429;
  readonly title = 'Connexion temporairement bloquée';
  constructor(readonly until: Date, logMessage: string) {
    super(
      `Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est bloquée pendant 15 minutes, jusqu’à ${frenchTime(until)} (heure de Paris).`,
      logMessage,
    );
  }
}

/** Correct credentials, but the account may not act (habilitation, structure). */
export class AccessSuspendedError extends DomainError {
  readonly code = 'aidant.not_allowed';
  readonly status = 403;
  readonly title = 'Accès suspendu';
}

/** No signed-in aidant, or the session ended. */
export class NotSignedInError extends DomainError {
  readonly code = 'aidant.not_signed_in';
  readonly status = 401;
  readonly title = 'Connexion requise';
}

export class EmailTakenError extends DomainError {
  readonly code = 'aidant.email_taken';
  readonly status = 409;
  readonly title = 'Adresse déjà utilisée';
}

export class InvitationUnusableError extends DomainError {
  readonly code = 'aidant.invitation_unusable';
  readonly status = 410;
  readonly title = 'Lien d’invitation expiré';
}

export class LastReferentError extends DomainError {
  readonly code = 'aidant.last_referent';
  readonly status = 409;
  readonly title = 'Dernier référent';
}

export class TotpCardUnavailableError extends DomainError {
  readonly code = 'totp_card.unavailable';
  readonly status = 409;
  readonly title = 'Carte indisponible';
}

export function frenchTime(at: Date): string {
  return new Intl.DateTimeFormat('fr-FR', {
    timeZone: 'Europe/Paris',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}

/** Too many wrong current passwords or codes on the password change form: locked for a while. */
export class PasswordChangeLockedError extends DomainError {
  readonly code = 'aidant.password_change_locked';
  readonly status = 429;
  readonly title = 'Changement de mot de passe bloqué';
  constructor(readonly until: Date, logMessage: string) {
    super(
      `Trop de tentatives ont échoué. Par sécurité, le changement de mot de passe est bloqué jusqu’à ${frenchTime(until)} (heure de Paris).`,
      logMessage,
    );
  }
}
