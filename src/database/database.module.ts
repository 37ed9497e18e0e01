import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { TransactionRunner } from './transaction-runner.js';

export interface DatabaseModuleOptions {
  url: string;
  poolSize: number;
  runMigrations: boolean;
}

/**
 * The database connection for the whole service. Each domain module
 * registers its own entities with `TypeOrmModule.forFeature`.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(options.url, options.poolSize),
          autoLoadEntities: true,
          migrationsRun: options.runMigrations,
          retryAttempts: 2,
          retryDelay: 1000,
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
