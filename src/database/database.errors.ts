import { DomainError } from '../shared/domain-error.js';

/**
 * The database connection was lost and the work could not be finished
 * safely (a retry failed too, or the loss came while committing, when
 * nobody knows whether the change was kept).
 */
export class DatabaseUnavailableError extends DomainError {
  readonly code = 'database.unavailable';
  readonly status = 503;
  readonly title = 'Service momentanément indisponible';

  constructor(readonly outcomeUnknown: boolean, options?: { cause?: unknown }) {
    super(
      outcomeUnknown
        ? "La connexion à la base de données a été interrompue pendant l'enregistrement. Vérifiez le résultat de votre action avant de la refaire."
        : "La base de données n'a pas répondu. Rien n'a été enregistré : réessayez dans quelques instants.",
      outcomeUnknown ? 'database connection lost while committing: outcome unknown' : 'database connection lost before the work was done',
      options,
    );
  }
}
