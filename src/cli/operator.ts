/**
 * Operator commands: `npm run cli -- <command> [options]` (`help` lists them).
 * Opens the configured database (migrating it like the service does), runs
 * one command in its own transaction, journaled with the operator as actor.
 * While a service holds the embedded data directory, the command goes
 * through that service's embedded server, so the service sees the change at
 * once and keeps it.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfigFromProcess } from '../../config/config.js';
import { AppModule } from '../app.module.js';
import { openDatabase } from '../database/database-url.js';
import { commandConfig } from './command-config.js';
import { runOperatorCommand } from './operator-commands.js';

async function main(): Promise<number> {
  const config = loadConfigFromProcess();
  const database = await openDatabase(config, 'command');
  try {
    const app = await NestFactory.createApplicationContext(AppModule.register(commandConfig(config, database), database.url), {
      logger: ['error'],
    });
    try {
      return await runOperatorCommand(app, process.argv.slice(2), {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
        publicUrl: config.publicUrl,
      });
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof ConfigError || (error as Error)?.name === 'DataDirectoryInUseError'
        ? `${(error as Error).message}\n`
        : `Échec de la commande : ${(error as Error)?.stack ?? String(error)}\n`,
    );
    process.exit(1);
  },
);
