import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { deleteExpiredPayloads } from './provider.adapter.js';

/** How often each instance removes expired oidc-provider rows (any instance may: the DELETE is idempotent). */
export const CLEANUP_INTERVAL_MS = 60_000;

/**
 * The adapter's expiry cleanup job. Expired rows are already invisible to
 * oidc-provider (every read checks `expires_at` against database time); this
 * only keeps the table small. A failed run is logged with the error's class
 * and SQLSTATE only (a database message can quote a row, and rows hold
 * sessions and tokens), and the next run tries again: the service goes on.
 */
@Injectable()
export class ProviderCleanup implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ProviderCleanup');
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), CLEANUP_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One run; resolves with the number of rows removed, or null when the run failed (never rejects). */
  async runOnce(): Promise<number | null> {
    try {
      return await deleteExpiredPayloads(this.dataSource);
    } catch (error) {
      this.logger.warn(
        { job: 'oidc_payloads_cleanup', error: error instanceof Error ? error.name : typeof error, sqlState: sqlStateOf(error) },
        'expired provider rows could not be removed; next attempt in a minute',
      );
      return null;
    }
  }
}

function sqlStateOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}
