import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import { mandatesRepository as repo } from './mandates.repository.js';

export const EXPIRY_INTERVAL_MS = 60_000;
const BATCH = 100;

/**
 * Journals `mandate.expired` exactly once per mandate that reached its end
 * without being revoked. Each run claims rows with FOR UPDATE SKIP LOCKED
 * and stamps `expiry_journaled_at` in the same transaction as the journal
 * entries, so several instances never journal the same expiry twice. The
 * status itself never waits for this job: it is derived from the database
 * time at every question.
 */
@Injectable()
export class MandateExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MandateExpiryJob.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), EXPIRY_INTERVAL_MS);
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
      this.logger.error({ err: error }, 'expiry run failed');
    }
  }

  /** Journals every expiry not journaled yet; returns how many. */
  runOnce(): Promise<number> {
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.transactions.run(async (m) => {
        const expired = await repo.claimExpired(m, BATCH);
        for (const mandate of expired) {
          await this.journal.append(m, {
            action: 'mandate.expired',
            structureId: mandate.structureId,
            actor: { type: 'system', id: null },
            subjects: { mandateId: mandate.id, usagerId: mandate.usagerId },
            details: { expiresAt: mandate.expiresAt.toISOString() },
          });
        }
        return expired.length;
      });
      total += count;
      if (count < BATCH) break;
    }
    if (total > 0) this.logger.log(`journaled the expiry of ${total} mandate(s)`);
    return total;
  }
}
