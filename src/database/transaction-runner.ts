import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export type UseCase<T> = (manager: EntityManager) => Promise<T>;

/**
 * Runs one use case in one transaction. The `EntityManager` is handed down
 * explicitly to every repository and to the journal, so the change and its
 * journal entry commit or roll back together. Never query through another
 * connection inside a use case: the work would escape the transaction (and
 * hang on the single-threaded embedded database).
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(useCase: UseCase<T>): Promise<T> {
    return this.dataSource.transaction('READ COMMITTED', useCase);
  }
}
