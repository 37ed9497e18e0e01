/**
 * Operator commands on the journal (docs/journal.md), run without the
 * application by the operator CLI (`npm run cli -- journal:verify`, or the
 * `journal:*` npm scripts):
 *   journal:verify [--chain ID]
 *   journal:export --chain ID [--out FILE]
 *   journal:verify-file FILE --jwks FILE|URL [--key VERIFIER_KEY|URL …]
 *   journal:checkpoint [--chain ID]
 *   journal:verify-proof FILE --key VERIFIER_KEY|URL [--key …] [--witness WITNESS_VERIFIER_KEY …]
 * Exit code 0: done and valid; 1: the journal or file is broken; 2: usage or runtime error.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';

import { Logger, type LoggerService } from '@nestjs/common';
import type { JWK } from 'jose';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { openDatabase } from '../database/database-url.js';
import type { StandaloneCommand, StandaloneIo } from '../shared/operator-command.js';
import { verifyExportLines } from './export/export-format.js';
import { verifierFromKey } from './notes/note.verifiers.js';
import type { NoteVerifier } from './notes/note.js';
import { ProofBundleError, verifyProofBundle } from './proofs/proof-bundle.js';
import { createJournal, type JournalParts } from './journal.factory.js';
import type { JournalCheckpoint } from './journal.types.js';

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

export const USAGE = 'usage: journal:verify [--chain ID] | journal:export --chain ID [--out FILE] | journal:verify-file FILE --jwks FILE|URL [--key VERIFIER_KEY|URL] | journal:checkpoint [--chain ID] | journal:verify-proof FILE --key VERIFIER_KEY|URL [--witness VERIFIER_KEY]';

function describeCheckpoint(c: JournalCheckpoint | null): string {
  return c ? `${c.chain}:${c.seq}@${c.at}` : 'none';
}

async function verify(args: string[], io: StandaloneIo): Promise<number> {
  const { values } = parseArgs({ args, options: { chain: { type: 'string' } } });
  const report = await withJournal(io.config(), ({ journal }) => journal.verify({ chain: values.chain }));
  if (report.broken) {
    const { chain, seq, message } = report.broken;
    io.stdout.write(`BROKEN chain=${chain} seq=${seq}: ${message}\n`);
    return 1;
  }
  io.stdout.write(
    `OK chains=${report.chains} entries=${report.entries} checkpoints=${report.checkpoints} last_checkpoint=${describeCheckpoint(report.lastCheckpoint)}\n`,
  );
  return 0;
}

async function exportChain(args: string[], io: StandaloneIo): Promise<number> {
  const { values } = parseArgs({ args, options: { chain: { type: 'string' }, out: { type: 'string' } } });
  if (!values.chain) throw new Error(`--chain is required\n${USAGE}`);
  const chain = values.chain;
  const out: Writable = values.out ? createWriteStream(values.out) : io.stdout;
  const sink = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  const { entries, checkpoints } = await withJournal(io.config(), ({ journal }) =>
    journal.exportChain(chain, { actor: { type: 'operator', id: null } }, sink),
  );
  if (values.out) {
    out.end();
    await once(out, 'finish');
  }
  io.stderr.write(`exported chain ${chain}: ${entries} entries, ${checkpoints} checkpoints\n`);
  return 0;
}

async function readJwks(source: string): Promise<JWK[]> {
  const text = /^https?:\/\//.test(source)
    ? await fetch(source).then((res) => {
        if (!res.ok) throw new Error(`cannot fetch ${source}: HTTP ${res.status}`);
        return res.text();
      })
    : await readFile(source, 'utf8');
  const jwks = JSON.parse(text) as { keys?: JWK[] };
  if (!Array.isArray(jwks.keys)) throw new Error(`${source} is not a JWK Set`);
  return jwks.keys;
}

async function verifyFile(args: string[], io: StandaloneIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { jwks: { type: 'string' }, key: { type: 'string', multiple: true } } });
  const file = positionals[0];
  if (!file || !values.jwks) throw new Error(`a file and --jwks are required\n${USAGE}`);
  const keys = await readJwks(values.jwks);
  // Optional: the note verifier keys, to check the notes' signatures besides their roots.
  const noteKeys = await readVerifierKeys(values.key ?? []);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const report = await verifyExportLines(lines, keys, noteKeys);
  if (!report.ok) {
    io.stdout.write(`FAILED ${file}: ${report.error}\n`);
    return 1;
  }
  io.stdout.write(
    `OK chain=${report.chain} entries=${report.entries} checkpoints=${report.checkpoints} last_checkpoint=${describeCheckpoint(report.lastCheckpoint)} merkle_roots=${report.merkleRoots}${noteKeys.length > 0 ? ' notes_signed' : ''}\n`,
  );
  return 0;
}

async function checkpoint(args: string[], io: StandaloneIo): Promise<number> {
  const { values } = parseArgs({ args, options: { chain: { type: 'string' } } });
  const signed = await withJournal(io.config(), ({ journal }) => journal.checkpoint(values.chain ? [values.chain] : undefined));
  for (const c of signed) io.stdout.write(`signed ${describeCheckpoint(c)} kid=${c.kid}\n`);
  if (signed.length === 0) io.stdout.write('nothing to sign: every chain head already has a checkpoint\n');
  return 0;
}

/** Verifier keys given as text, or the lines served at a URL (such as /.well-known/procuration/journal-note-keys). */
async function readVerifierKeys(sources: readonly string[]): Promise<NoteVerifier[]> {
  const keys: NoteVerifier[] = [];
  for (const source of sources) {
    const lines = /^https?:\/\//.test(source)
      ? (
          await fetch(source).then((res) => {
            if (!res.ok) throw new Error(`cannot fetch ${source}: HTTP ${res.status}`);
            return res.text();
          })
        ).split('\n')
      : [source];
    for (const line of lines.map((l) => l.trim()).filter((l) => l !== '')) keys.push(verifierFromKey(line));
  }
  return keys;
}

/** Checks an inclusion proof bundle offline, with public keys only. */
async function verifyProof(args: string[], io: StandaloneIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { key: { type: 'string', multiple: true }, witness: { type: 'string', multiple: true } } });
  const file = positionals[0];
  if (!file || !values.key?.length) throw new Error(`a file and --key are required\n${USAGE}`);
  const keys = await readVerifierKeys(values.key);
  const witnesses = await readVerifierKeys(values.witness ?? []);
  let bundle: unknown;
  try {
    bundle = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    io.stdout.write(`FAILED ${file}: format: not JSON (${(error as Error).message})\n`);
    return 1;
  }
  try {
    const { checkpoint, requestFacts, signedBy, cosignedBy } = verifyProofBundle(bundle, keys, witnesses);
    const entry = (bundle as { entry: { chain: string; seq: number } }).entry;
    io.stdout.write(
      `OK chain=${entry.chain} seq=${entry.seq} origin=${checkpoint.origin} tree_size=${checkpoint.size} signed_by=${signedBy.join(',')}${cosignedBy.length ? ` cosigned_by=${cosignedBy.join(',')}` : ''} request_facts=${requestFacts}\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ProofBundleError)) throw error;
    io.stdout.write(`FAILED ${file}: ${error.what}: ${error.message}\n`);
    return 1;
  }
}

export const JOURNAL_COMMANDS: Record<string, StandaloneCommand> = {
  verify,
  export: exportChain,
  'verify-file': verifyFile,
  checkpoint,
  'verify-proof': verifyProof,
};

/** The journal commands as the operator CLI's help lists them. */
export const JOURNAL_HELP = `  journal:verify [--chain <id>]       recalcule chaque empreinte et vérifie chaque point de contrôle signé
  journal:export --chain <id> [--out <fichier>]  exporte une chaîne (JSON Lines, jusqu’à un point de contrôle signé)
  journal:verify-file <fichier> --jwks <fichier|URL> [--key <clé de vérification|URL>]
                                    vérifie un export hors ligne, avec les seules clés publiques (et les racines
                                    de Merkle de ses points de contrôle, recalculées à partir des entrées)
  journal:checkpoint [--chain <id>]   signe maintenant un point de contrôle des têtes de chaîne
  journal:verify-proof <fichier> --key <clé de vérification|URL> [--witness <clé d’un témoin>]
                                    vérifie hors ligne la preuve qu’une entrée figure au journal, avec les seules
                                    clés publiques (et la cosignature de chaque témoin nommé)`;
