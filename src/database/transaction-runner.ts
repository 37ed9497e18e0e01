import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isConnectionLost, neverSent } from './connection-loss.js';
import { DatabaseUnavailableError } from './database.errors.js';

export type UseCase<T> = (manager: EntityManager) => Promise<T>;

/**
 * Runs one use case in one transaction. The `EntityManager` is handed down
 * explicitly to every repository and to the journal, so the change and its
 * journal entry commit or roll back together. Never query through another
 * connection inside a use case: the work would escape the transaction (and
 * hang on the single-threaded embedded database).
 *
 * A use case whose connection is lost before COMMIT is sent (the server
 * ended the backend: a failover, a pooler restart, `pg_terminate_backend`)
 * is run once more, whole, on a fresh connection: PostgreSQL rolled the
 * first attempt back, so nothing of it was kept. This is why a use case
 * does nothing outside the database (mail, HTTP) inside `run`. A loss
 * reported in answer to COMMIT is never retried (the change may have been
 * kept: the person is told to check); a COMMIT the driver refused to send
 * because the connection was already gone is.
 *
 * Use cases run at READ COMMITTED, PostgreSQL's default, which every
 * connection of the pool pins at start-up (data-source-options.ts): naming
 * the level here would cost every use case one more round trip
 * (`SET TRANSACTION …` after `START TRANSACTION`), a quarter of the
 * statements of a use case that writes one row and its journal entry.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger('TransactionRunner');

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(useCase: UseCase<T>): Promise<T> {
    const first = await this.attempt(useCase);
    if (first.ok) return first.value;
    if (!first.retryable) throw first.error;
    this.logger.warn({ code: 'database.connection_lost' }, 'database connection lost before commit: running the use case again');
    const second = await this.attempt(useCase);
    if (second.ok) return second.value;
    if (second.retryable) throw new DatabaseUnavailableError(false, { cause: second.error });
    throw second.error;
  }

  /**
   * Reads outside a transaction (guards, pages: at READ COMMITTED a
   * transaction would give them no common snapshot anyway), asked once more
   * when the connection was lost: reading twice changes nothing.
   */
  async read<T>(work: UseCase<T>): Promise<T> {
    try {
      return await work(this.dataSource.manager);
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
    }
    try {
      return await work(this.dataSource.manager);
    } catch (error) {
      throw isConnectionLost(error) ? new DatabaseUnavailableError(false, { cause: error }) : error;
    }
  }

  private async attempt<T>(useCase: UseCase<T>): Promise<{ ok: true; value: T } | { ok: false; retryable: boolean; error: unknown }> {
    const runner = this.dataSource.createQueryRunner();
    let committing = false;
    try {
      await runner.connect();
      await runner.startTransaction();
      const value = await useCase(runner.manager);
      committing = true;
      await runner.commitTransaction();
      return { ok: true, value };
    } catch (error) {
      // TypeORM releases a runner whose connection emitted an error: the
      // statements that follow then fail with "already released".
      const lost = isConnectionLost(error) || runner.isReleased;
      if (!committing && !lost && runner.isTransactionActive) {
        await runner.rollbackTransaction().catch(() => undefined);
      }
      // COMMIT refused by the driver (connection already gone) was never sent: nothing was kept.
      if (lost && committing && !neverSent(error)) return { ok: false, retryable: false, error: new DatabaseUnavailableError(true, { cause: error }) };
      return { ok: false, retryable: lost, error };
    } finally {
      // A lost connection goes back to the pool with its error, so the pool drops it.
      await runner.release().catch(() => undefined);
    }
  }
}
