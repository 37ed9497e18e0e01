import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';
import { redactError, scrubText } from '../logging-redaction.js';

/**
 * TypeORM's logger for the service: statements are never logged with their
 * parameters (TypeORM's own loggers print them, and they are personal data),
 * failed statements only at debug level with the redacted error (the caller
 * decides whether a failure is one: a 500 is logged by the exception filter).
 */
export class DatabaseLogger implements Logger {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {
    // Every statement at debug would flood the log and say nothing a trace would not.
  }

  logQueryError(error: unknown): void {
    this.logger.debug({ err: describeFailure(error) }, 'statement failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ durationMs: time, query: scrubText(query).slice(0, 500) }, 'slow statement');
  }

  logSchemaBuild(): void {
    // The schema is built by migrations only (synchronize is off).
  }

  logMigration(message: string): void {
    this.logger.debug(scrubText(message));
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = scrubText(String(message));
    if (level === 'warn') this.logger.warn(text);
    else this.logger.debug(text);
  }
}

/**
 * TypeORM hands over whatever the driver rejected with: an Error, a string,
 * or (when a connection is cut mid-statement) an object that is neither.
 * Logging must never throw: a throw here would turn a lost connection,
 * which the caller answers with a retry or a 503, into a 500.
 */
export function describeFailure(error: unknown): Record<string, unknown> | string {
  if (typeof error === 'string') return scrubText(error);
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return redactError(error as Error);
  }
  return typeof error;
}
