import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { AIDANT_COMMANDS, AIDANT_USAGE } from '../aidants/aidant.commands.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JOURNAL_COMMANDS, JOURNAL_HELP, withJournal } from '../journal/journal.commands.js';
import { JournalService } from '../journal/journal.service.js';
import {
  KEYS_USAGE,
  PROVIDER_KEYS_USAGE,
  rotateKeyCommand,
  rotateProviderKeysCommand,
  type KeyRotationContext,
} from '../keys/keys.commands.js';
import { KeysService } from '../keys/keys.service.js';
import { PARTNER_COMMANDS, PARTNER_USAGE } from '../partners/partner.commands.js';
import type { CommandIo, OperatorCommand, StandaloneCommand } from '../shared/operator-command.js';
import type { Actor } from '../structures/actor.js';
import { STRUCTURE_COMMANDS, STRUCTURE_USAGE } from '../structures/structure.commands.js';
import { reportRefusal } from './refusal.js';

export type { CommandIo } from '../shared/operator-command.js';

/**
 * The operator CLI's table of commands. Each module defines its commands
 * beside its services (`<module>/<module>.commands.ts`); this file only
 * assembles them, and gives the key rotations (defined in `keys/`, below the
 * journal) the journal entry they write.
 */

/** Key rotations journal `keys.rotated` in their own transaction, with the operator as actor. */
function rotationContext(keys: KeysService, transactions: TransactionRunner, journal: JournalService, actor: Actor): KeyRotationContext {
  return {
    keys,
    transaction: (work) => transactions.run(work),
    async recordRotation(manager, rotation) {
      await journal.append(manager, { action: 'keys.rotated', structureId: null, actor, details: rotation });
    },
  };
}

/** `keys:rotate`, run without the application (like the journal commands); the journal is flushed before it returns. */
export const rotateKey: StandaloneCommand = rotateKeyCommand((config, work) =>
  withJournal(config, async ({ keys, journal, transactions }) => {
    const result = await work(rotationContext(keys, transactions, journal, { type: 'operator', id: null }));
    await journal.flush();
    return result;
  }),
);

/**
 * The commands of one family accept every option of the family (an option a
 * command does not read is ignored), as when each family had one parser.
 */
function family(commands: Record<string, OperatorCommand>): Record<string, OperatorCommand> {
  const options = Object.assign({}, ...Object.values(commands).map((command) => command.options)) as OperatorCommand['options'];
  return Object.fromEntries(Object.entries(commands).map(([name, command]) => [name, { ...command, options }]));
}

/** Commands run inside the application (one transaction each, journaled with the operator as actor). */
export const OPERATOR_COMMANDS: Readonly<Record<string, OperatorCommand>> = {
  ...family({ ...STRUCTURE_COMMANDS, ...AIDANT_COMMANDS }),
  ...family({
    ...PARTNER_COMMANDS,
    'provider:rotate-keys': rotateProviderKeysCommand(({ app, actor }) =>
      rotationContext(app.get(KeysService), app.get(TransactionRunner), app.get(JournalService), actor),
    ),
  }),
};

/**
 * Commands run without the application: they open the database themselves
 * (stop a service that holds the embedded database first), or need none
 * (`journal:verify-file`).
 */
export const STANDALONE_COMMANDS: Readonly<Record<string, StandaloneCommand>> = {
  ...Object.fromEntries(Object.entries(JOURNAL_COMMANDS).map(([name, command]) => [`journal:${name}`, command])),
  'keys:rotate': rotateKey,
};

export const USAGE = `Commandes opérateur (npm run cli -- <commande> [options]) :
${STRUCTURE_USAGE}
${AIDANT_USAGE}
Option commune : --operator <nom> (par défaut : l’utilisateur système), journalisé comme auteur.`;

const PARTNERS_HELP = `Services partenaires (fournisseur d’identité « Se connecter avec Procuration ») :
${PARTNER_USAGE}
${PROVIDER_KEYS_USAGE}`;

const STANDALONE_HELP = `Journal et clés de signature (hors du service : arrêtez-le d’abord s’il utilise la base embarquée) :
${JOURNAL_HELP}
${KEYS_USAGE}`;

/** Runs one command of OPERATOR_COMMANDS against a running application context; returns the exit code. */
export async function runOperatorCommand(app: INestApplicationContext, argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help') {
    io.out(`${USAGE}\n\n${PARTNERS_HELP}\n\n${STANDALONE_HELP}`);
    return name ? 0 : 2;
  }
  const command = OPERATOR_COMMANDS[name];
  if (!command) {
    io.err(`Commande inconnue : ${name}\n\n${USAGE}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { ...command.options, operator: { type: 'string' } } });
  } catch (error) {
    io.err(`Option invalide : ${(error as Error).message}`);
    return 2;
  }
  const operator = parsed.values.operator;
  const actor = { type: 'operator' as const, id: (typeof operator === 'string' ? operator : undefined) ?? io.operator ?? userInfo().username };
  try {
    return await command.run({ app, name, values: parsed.values, positionals: parsed.positionals, actor, io });
  } catch (error) {
    return reportRefusal(error, (line) => io.err(line));
  }
}
