import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { consentRequestsRepository as repo } from './consent-requests.repository.js';
import { ConsentRequestsService } from './consent-requests.service.js';

export const CONSENT_EXPIRY_INTERVAL_MS = 60_000;
const BATCH = 100;

/**
 * Marks pending requests past their 24 hours as expired, journaled once each
 * (`consent_request.expired`). Pages never wait for it: a pending request
 * past its end reads as expired at once; this job makes the journal and the
 * one-pending index say so too. Rows are claimed FOR UPDATE SKIP LOCKED, so
 * several instances never journal one expiry twice.
 */
@Injectable()
export class ConsentExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConsentExpiryJob.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly requests: ConsentRequestsService,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), CONSENT_EXPIRY_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    try {
      await this.runOnce();
    } catch (error) {
      this.logger.error({ err: error }, 'consent request expiry run failed');
    }
  }

  /** Marks every lapsed pending request; returns how many. */
  runOnce(): Promise<number> {
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.clock.now();
      const count = await this.transactions.run(async (m) => {
        const lapsed = await repo.claimLapsed(m, now, BATCH);
        for (const row of lapsed) await this.requests.markExpired(m, row, now);
        return lapsed.length;
      });
      total += count;
      if (count < BATCH) break;
    }
    return total;
  }
}
