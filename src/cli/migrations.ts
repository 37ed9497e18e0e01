/**
 * Migration commands on the configured database (the embedded one in
 * DATA_DIR when DATABASE_URL is unset), exactly as `npm start` opens it:
 *   node dist/src/cli/migrations.js run|revert|show
 */
import { DataSource } from 'typeorm';
import { ConfigError, loadConfigFromProcess } from '../../config/config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { openDatabase } from '../database/database-url.js';

async function main(command: string | undefined): Promise<void> {
  if (command !== 'run' && command !== 'revert' && command !== 'show') {
    throw new Error('usage: migrations run|revert|show');
  }
  const config = loadConfigFromProcess();
  const database = await openDatabase(config, 'command');
  const dataSource = new DataSource(dataSourceOptions(database.url, 1));
  try {
    await dataSource.initialize();
    if (command === 'run') {
      const applied = await dataSource.runMigrations();
      out(applied.length ? applied.map((m) => `applied ${m.name}`).join('\n') : 'nothing to apply');
    } else if (command === 'revert') {
      await dataSource.undoLastMigration();
      out('reverted the last migration');
    } else {
      const pending = await dataSource.showMigrations();
      out(pending ? 'some migrations are pending' : 'every migration is applied');
      process.exitCode = pending ? 1 : 0;
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.close();
  }
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String((error as Error)?.message ?? error)}\n`);
  process.exit(1);
});
