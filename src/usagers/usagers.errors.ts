import { DomainError } from '../shared/domain-error.js';

/** No signed-in usager, or the usager's session ended. */
export class UsagerNotSignedInError extends DomainError {
  readonly code = 'usager.not_signed_in';
  readonly status = 401;
  readonly title = 'Identification requise';
}

/** The browser holds an aidant session: the usager's space is not for it (and vice versa). */
export class UsagerSpaceForbiddenError extends DomainError {
  readonly code = 'usager.aidant_session';
  readonly status = 403;
  readonly title = 'Espace réservé aux personnes accompagnées';
  constructor(logMessage = 'aidant session on a usager page') {
    super(
      'Vous êtes connecté en tant qu’aidant dans ce navigateur. L’espace personnel d’une personne accompagnée ne s’ouvre pas dans une session aidant : déconnectez-vous d’abord.',
      logMessage,
    );
  }
}
