import { DomainError } from '../shared/domain-error.js';

/** A link or code that cannot be used: unknown, expired, already answered or cancelled (one page for all). */
export class ConsentRequestUnusableError extends DomainError {
  readonly code = 'consent_request.unusable';
  readonly status = 410;
  readonly title = 'Demande de consentement inutilisable';
}

/** Too many wrong codes from this address: further attempts are refused for a while. */
export class ConsentCodeThrottledError extends DomainError {
  readonly code = 'consent_request.throttled';
  readonly status = 429;
  readonly title = 'Trop de codes erronés';
}

/** The aidant already has a pending request for the same expected usager. */
export class ConsentRequestPendingError extends DomainError {
  readonly code = 'consent_request.already_pending';
  readonly status = 409;
  readonly title = 'Demande déjà en attente';
}

/** A step of the usager's pages reached without the step before it (no request chosen, no FranceConnect identity). */
export class ConsentStepError extends DomainError {
  readonly code = 'consent_request.no_step';
  readonly status = 409;
  readonly title = 'Étape du consentement introuvable';
}
