import type { Writable } from 'node:stream';
import type { ParseArgsConfig } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';

/**
 * The shape of an operator command (`npm run cli -- <command>`). Each module
 * defines its own commands beside its services (`<module>/<module>.commands.ts`);
 * `src/cli/` only assembles them into one table and runs them.
 */

/** Where a command inside the application writes, and who runs it. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Base URL for invitation links. */
  publicUrl: string;
  /** Who runs the command (journaled as the actor); default: the system user name. */
  operator?: string;
}

/** The operator as the journal records them. */
export interface OperatorActor {
  type: 'operator';
  id: string;
}

/** What a command run inside the application receives: its parsed options and the application's services. */
export interface OperatorCommandContext {
  app: INestApplicationContext;
  /** The command's name as typed (several names may share one definition). */
  name: string;
  /** Option values: a string, or a list for an option declared `multiple`. */
  values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  positionals: readonly string[];
  actor: OperatorActor;
  io: CommandIo;
}

/**
 * A command run inside the application (structures, aidants, cards,
 * partners, provider keys): one transaction, journaled with the operator as
 * actor. A refusal (`DomainError`) is reported by the CLI.
 */
export interface OperatorCommand {
  /** The options it reads (`--operator` is added to every command). */
  options: NonNullable<ParseArgsConfig['options']>;
  run(context: OperatorCommandContext): Promise<number>;
}

/**
 * Where a stand-alone command writes: stdout carries the result (or an
 * export), stderr the remarks. It opens the database itself, or needs none.
 */
export interface StandaloneIo {
  /** The configuration, read only by commands that open the database. */
  config: () => AppConfig;
  stdout: Writable;
  stderr: Writable;
}

/** A command that runs without the application (the journal's: exit code 0 valid, 1 broken, 2 usage or runtime error). */
export type StandaloneCommand = (args: string[], io: StandaloneIo) => Promise<number>;

/** A single-valued option as a string (undefined when absent). */
export function optionText(context: OperatorCommandContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable option as a list (empty when absent). */
export function optionList(context: OperatorCommandContext, name: string): string[] {
  const value = context.values[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}
