import { DomainError } from '../shared/domain-error.js';

/**
 * The session store could not be read (the database did not answer). The
 * stored session is left exactly as it was: the person is still signed in
 * and their work in progress is kept; only this request fails.
 */
export class SessionUnavailableError extends DomainError {
  readonly code = 'session.unavailable';
  readonly status = 503;
  readonly title = 'Session momentanément illisible';

  constructor(options?: { cause?: unknown }) {
    super(
      "Votre session n'a pas pu être lue pour le moment : vous êtes toujours connecté et rien n'est perdu. Réessayez dans quelques instants.",
      'session store read failed',
      options,
    );
  }
}
