import { DomainError } from '../shared/domain-error.js';

/** The last TOTP code is older than 15 minutes: a fresh one is needed. */
export class TotpReauthRequiredError extends DomainError {
  readonly code = 'aidant.totp_reauth_required';
  readonly status = 403;
  readonly title = 'Confirmez votre identité';
  constructor(readonly next: string) {
    super(
      `Pour cette action, saisissez un nouveau code à usage unique : votre dernier code date de plus de 15 minutes. Rendez-vous sur /aidant/reauthentification?suite=${encodeURIComponent(next)} puis recommencez.`,
      'totp older than 15 minutes',
    );
    // The error page's button: the code page, which comes back here (a GET page) or to the dashboard.
    this.retryPath = `/aidant/reauthentification?suite=${encodeURIComponent(next)}`;
  }
}
