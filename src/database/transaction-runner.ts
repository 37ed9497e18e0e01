import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export type UseCase<T> = (manager: EntityManager) => Promise<T>;

/**
 * Runs one use case in one transaction. The `EntityManager` is handed down
 * explicitly to every repository and to the journal, so the change and its
 * journal entry commit or roll back together. Never query through another
 * connection inside a use case: the work would escape the transaction (and
 * hang on the single-threaded embedded database).
 *
 * Use cases run at READ COMMITTED, PostgreSQL's default, which every
 * connection of the pool pins at start-up (data-source-options.ts): naming
 * the level here would cost every use case one more round trip
 * (`SET TRANSACTION …` after `START TRANSACTION`), a quarter of the
 * statements of a use case that writes one row and its journal entry.
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(useCase: UseCase<T>): Promise<T> {
    return this.dataSource.transaction(useCase);
  }
}
