import type { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TransactionRunner } from './transaction-runner.js';

/**
 * The timer and the drain loop shared by the jobs that claim rows in batches
 * (FOR UPDATE SKIP LOCKED) and handle each batch in one transaction: every
 * `intervalMs`, batches run until one comes back short. A run never overlaps
 * the previous one in this process (other instances are kept apart by the
 * row locks), and a failed run is logged and retried at the next tick.
 */
export class BatchJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly options: {
      transactions: TransactionRunner;
      logger: Logger;
      intervalMs: number;
      batchSize: number;
      /** Handles one batch of at most `batchSize` rows in the given transaction; returns how many it handled. */
      batch: (manager: EntityManager) => Promise<number>;
      /** What the log says when a run fails. */
      failure: string;
      /** Called with the count of a run that handled rows. */
      handled?: (total: number) => void;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs (or joins the run in progress) until no row is left; returns how many were handled. */
  runOnce(): Promise<number> {
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    try {
      await this.runOnce();
    } catch (error) {
      this.options.logger.error({ err: error }, this.options.failure);
    }
  }

  private async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.options.transactions.run((m) => this.options.batch(m));
      total += count;
      if (count < this.options.batchSize) break;
    }
    if (total > 0) this.options.handled?.(total);
    return total;
  }
}
