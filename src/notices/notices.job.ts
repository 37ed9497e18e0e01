import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import { Mailer } from '../mail/mailer.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { NoticeQueueService } from './notice-queue.service.js';
import { queueExpiringNotices, queueStructureReminders } from './notice-scan.js';
import { NoticeSender, type NoticeSenderOptions } from './notice-sender.js';

export const NOTICES_INTERVAL_MS = 30_000;
/** A runner holds what it claimed this long; a mail is sent well within it. */
export const NOTICE_LEASE_MS = 5 * 60_000;

/**
 * The notices job, on every instance: every 30 seconds it queues the
 * "ends within 30 days" notices and this week's structure reminders, then
 * sends what is due. Instances share the work through the queue's row locks.
 */
@Injectable()
export class NoticesJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Notices');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly sender: NoticeSender;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly mailer: Mailer,
    private readonly queue: NoticeQueueService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.sender = this.runner();
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), NOTICES_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Stops this instance's timer (its runs end; other instances go on). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Another runner on the same queue, as a second instance would have (tests: concurrency, a crash mid-send). */
  runner(options: Partial<NoticeSenderOptions> = {}): NoticeSender {
    return new NoticeSender(this.transactions, this.journal, this.mailer, {
      publicUrl: this.config.publicUrl,
      leaseMs: NOTICE_LEASE_MS,
      ...options,
    });
  }

  /** Queues what the calendar brings (expiring mandates, weekly reminders); returns how many notices. */
  scan(): Promise<number> {
    return this.transactions.run(async (m) => (await queueExpiringNotices(m, this.queue)) + (await queueStructureReminders(m, this.queue)));
  }

  /** One whole run: scan, then send every due notice; returns how many were sent. */
  runOnce(): Promise<number> {
    this.running ??= (async () => {
      await this.scan();
      return this.sender.drain();
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    try {
      await this.runOnce();
    } catch (error) {
      this.logger.error({ err: error }, 'notices run failed');
    }
  }
}
