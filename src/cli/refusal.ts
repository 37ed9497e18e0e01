import { DomainError, ValidationError } from '../shared/domain-error.js';

/**
 * How every operator command reports a refusal: the person's French message
 * and, for a validation error, each field's. Returns the exit code, or
 * rethrows what is not a refusal (a bug or an outage).
 */
export function reportRefusal(error: unknown, err: (line: string) => void): number {
  if (!(error instanceof DomainError)) throw error;
  err(`Refusé : ${error.userMessage}`);
  if (error instanceof ValidationError) {
    for (const [field, message] of Object.entries(error.fields)) err(`  ${field} : ${message}`);
  }
  return 1;
}
