import type { EventEmitter } from 'node:events';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { DatabaseLogger } from './database-logger.js';

/**
 * The one TypeORM definition used by the service, the migration commands and
 * the tests. Entities are registered by each module (`TypeOrmModule.forFeature`)
 * and added by the service; the migration commands need none.
 */
export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // PGlite has no uuid-ossp; gen_random_uuid() is built into PostgreSQL 13+.
    uuidExtension: 'pgcrypto',
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    // Even when logging is turned on, never a statement's parameters in the log.
    logger: new DatabaseLogger(),
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      // Transactions started without a level (TransactionRunner) are READ COMMITTED whatever the
      // server's default. The embedded database ignores start-up options; its default is the same.
      options: '-c default_transaction_isolation=read\\ committed',
      // A connection the server ends (a failover, `pg_terminate_backend`) may
      // report its error after the pool and TypeORM have let go of it; with no
      // listener left, Node treats that late error as fatal and the whole
      // service stops. Each connection keeps one listener of its own; the
      // statement that was running still gets its error.
      onConnect: (client: EventEmitter) => {
        client.on('error', () => undefined);
      },
    },
  };
}
