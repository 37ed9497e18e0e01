import { Logger, type LoggerService } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/config.js';
import { dataSourceOptions } from '../../database/data-source-options.js';
import { openDatabase } from '../../database/database-url.js';
import { createJournal, type JournalParts } from '../journal.factory.js';

/** Command-line tools keep stdout for their output (an export can be piped): logs go to stderr. */
const stderrLogger: LoggerService = {
  log: () => undefined,
  warn: (message: unknown) => process.stderr.write(`warn: ${String(message)}\n`),
  error: (message: unknown) => process.stderr.write(`error: ${String(message)}\n`),
};

/** Opens the database like the service does (DATABASE_URL or the embedded one in DATA_DIR) and hands over the journal. */
export async function withJournal<T>(config: AppConfig, work: (parts: JournalParts) => Promise<T>): Promise<T> {
  Logger.overrideLogger(stderrLogger);
  const database = await openDatabase(config, 'command');
  try {
    const dataSource = await new DataSource(dataSourceOptions(database.url, 2)).initialize();
    try {
      if (config.migrationsRunAtStart) await dataSource.runMigrations();
      return await work(createJournal(dataSource, config));
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await database.close();
  }
}

/** Runs a command: prints its error on stderr and sets the exit code. */
export function runCommand(command: () => Promise<number>): void {
  command().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.message ?? String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
