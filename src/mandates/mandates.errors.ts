import { DomainError, NotFoundError } from '../shared/domain-error.js';

/** A mandate (or its autorisation) missing, or of another structure or usager: the same answer. */
export function mandateNotFound(logMessage = 'mandate not found or not accessible'): NotFoundError {
  return new NotFoundError('Ce mandat n’existe pas ou ne concerne pas votre structure.', logMessage);
}

/** Revoking something already revoked or expired. */
export class MandateNotLiveError extends DomainError {
  readonly code = 'mandate.not_live';
  readonly status = 409;
  readonly title = 'Mandat déjà terminé';
}

/** The recap was submitted without a pending mandate in the session (abandoned, expired or already confirmed). */
export class NoPendingMandateError extends DomainError {
  readonly code = 'mandate.no_pending';
  readonly status = 409;
  readonly title = 'Aucun mandat en cours de création';
}

/** The aidant may not open mandates here (référent only, or démarches not allowed). */
export class MandateForbiddenError extends DomainError {
  readonly code = 'mandate.forbidden';
  readonly status = 403;
  readonly title = 'Action non autorisée';
}

/** A JWS that does not verify (forged, altered, unknown key, malformed). */
export class AttestationInvalidError extends DomainError {
  readonly code = 'attestation.invalid';
  readonly status = 400;
  readonly title = 'Attestation non valide';
}

/** A renewal (no FranceConnect) asking for more démarches or a longer duration than the mandate it renews. */
export class RenewalWiderError extends DomainError {
  readonly code = 'mandate.renewal_wider';
  readonly status = 403;
  readonly title = 'Consentement FranceConnect nécessaire';
}

/** Too many anonymous attestation verifications from one client address within a minute. */
export class AttestationThrottledError extends DomainError {
  readonly code = 'attestation.throttled';
  readonly status = 429;
  readonly title = 'Trop de vérifications';
  /** Sent as `Retry-After`: the seconds left in the current minute. */
  readonly retryAfterSeconds: number;

  constructor(userMessage: string, logMessage: string, options: { retryAfterSeconds: number }) {
    super(userMessage, logMessage);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
