import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatchJob } from '../database/batch-job.js';
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
  private readonly job: BatchJob;

  constructor(transactions: TransactionRunner, journal: JournalService) {
    this.job = new BatchJob({
      transactions,
      logger: this.logger,
      intervalMs: EXPIRY_INTERVAL_MS,
      batchSize: BATCH,
      failure: 'expiry run failed',
      handled: (total) => this.logger.log(`journaled the expiry of ${total} mandate(s)`),
      batch: async (m) => {
        const expired = await repo.claimExpired(m, BATCH);
        for (const mandate of expired) {
          await journal.append(m, {
            action: 'mandate.expired',
            structureId: mandate.structureId,
            actor: { type: 'system', id: null },
            subjects: { mandateId: mandate.id, usagerId: mandate.usagerId },
            details: { expiresAt: mandate.expiresAt.toISOString() },
          });
        }
        return expired.length;
      },
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** Journals every expiry not journaled yet; returns how many. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }
}
