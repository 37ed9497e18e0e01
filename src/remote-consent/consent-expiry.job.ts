import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { BatchJob } from '../database/batch-job.js';
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
  private readonly job: BatchJob;

  constructor(transactions: TransactionRunner, requests: ConsentRequestsService, clock: Clock) {
    this.job = new BatchJob({
      transactions,
      logger: new Logger(ConsentExpiryJob.name),
      intervalMs: CONSENT_EXPIRY_INTERVAL_MS,
      batchSize: BATCH,
      failure: 'consent request expiry run failed',
      batch: async (m) => {
        const now = clock.now();
        const lapsed = await repo.claimLapsed(m, now, BATCH);
        for (const row of lapsed) await requests.markExpired(m, row, now);
        return lapsed.length;
      },
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** Marks every lapsed pending request; returns how many. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }
}
