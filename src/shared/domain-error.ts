/**
 * Base of every error a person or a partner can cause. Services throw these
 * (never HttpException); the one exception filter turns them into a French
 * page or an RFC 9457 problem document.
 *
 * - `code`: stable, dotted, documented (`journal.append_only`, …);
 * - `status`: the HTTP status;
 * - `userMessage`: French, for the person, says what was wrong;
 * - `message`: English, for the log, never with secrets or personal data.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly title: string;
  /** A local page where the person can try again (offered on the error page), when there is one. */
  retryPath?: string;

  constructor(
    readonly userMessage: string,
    logMessage: string,
    options?: { cause?: unknown },
  ) {
    super(logMessage, options);
    this.name = new.target.name;
  }
}

/** Something asked for does not exist, or belongs to someone else (same answer). */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly status = 404;
  readonly title = 'Page introuvable';
}

/** The person is known but may not do this. */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
  readonly status = 403;
  readonly title = 'Accès refusé';
}

/** A field or parameter is missing or malformed; `fields` maps names to French messages. */
export class ValidationError extends DomainError {
  readonly code = 'validation';
  readonly status = 400;
  readonly title = 'Demande invalide';

  constructor(
    readonly fields: Readonly<Record<string, string>>,
    logMessage = `invalid input: ${Object.keys(fields).join(', ')}`,
  ) {
    super(Object.values(fields).join(' '), logMessage);
  }
}
