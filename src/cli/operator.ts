/**
 * Operator commands: `npm run cli -- <command> [options]` (`help` lists them).
 * Most commands open the configured database (migrating it like the service
 * does) through the application, run in their own transaction, journaled
 * with the operator as actor. While a service holds the embedded data
 * directory, such a command goes through that service's embedded server, so
 * the service sees the change at once and keeps it. The journal commands and
 * `keys:rotate` run without the application (see STANDALONE_COMMANDS).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfigFromProcess } from '../../config/config.js';
import { openDatabase } from '../database/database-url.js';
import { runOperatorCommand, STANDALONE_COMMANDS } from './operator-commands.js';

async function main(argv: string[]): Promise<number> {
  const config = loadConfigFromProcess();
  // Loaded here, not at the top: the stand-alone commands below never build the
  // application (and so never load oidc-provider).
  const { AppModule } = await import('../app.module.js');
  const { commandConfig } = await import('./command-config.js');
  const database = await openDatabase(config, 'command');
  try {
    const app = await NestFactory.createApplicationContext(AppModule.register(commandConfig(config, database), database.url), {
      logger: ['error'],
    });
    try {
      return await runOperatorCommand(app, argv, {
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

const [name, ...rest] = process.argv.slice(2);
const standalone = name ? STANDALONE_COMMANDS[name] : undefined;
if (standalone) {
  // Exit code 0: done and valid; 1: broken; 2: usage or runtime error (its message on stderr).
  // verify-file needs no configuration and no database: only the public keys.
  standalone(rest, { config: loadConfigFromProcess, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.message ?? String(error)}\n`);
      process.exitCode = 2;
    },
  );
} else {
  main(process.argv.slice(2)).then(
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
}
