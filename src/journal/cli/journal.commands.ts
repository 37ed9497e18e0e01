/**
 * Operator commands on the journal (docs/journal.md), run by journal.cli.ts:
 *   node dist/src/journal/cli/journal.cli.js verify [--chain ID]
 *   node dist/src/journal/cli/journal.cli.js export --chain ID [--out FILE]
 *   node dist/src/journal/cli/journal.cli.js verify-file FILE --jwks FILE|URL
 *   node dist/src/journal/cli/journal.cli.js checkpoint [--chain ID]
 * Exit code 0: done and valid; 1: the journal or file is broken; 2: usage or runtime error.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';

import type { JWK } from 'jose';
import { verifyExportLines } from '../journal.export-format.js';
import type { KeyPurpose } from '../../keys/keys.service.js';
import type { JournalCheckpoint } from '../journal.types.js';
import type { AppConfig } from '../../../config/config.js';
import { withJournal } from './cli-support.js';

/** Where a command writes: stdout carries the result (or the export), stderr the remarks. */
export interface CommandIo {
  /** The configuration, read only by commands that open the database. */
  config: () => AppConfig;
  stdout: Writable;
  stderr: Writable;
}

export const USAGE = 'usage: journal.cli.js verify [--chain ID] | export --chain ID [--out FILE] | verify-file FILE --jwks FILE|URL | checkpoint [--chain ID]';

function describeCheckpoint(c: JournalCheckpoint | null): string {
  return c ? `${c.chain}:${c.seq}@${c.at}` : 'none';
}

async function verify(args: string[], io: CommandIo): Promise<number> {
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

async function exportChain(args: string[], io: CommandIo): Promise<number> {
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

async function verifyFile(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { jwks: { type: 'string' } } });
  const file = positionals[0];
  if (!file || !values.jwks) throw new Error(`a file and --jwks are required\n${USAGE}`);
  const keys = await readJwks(values.jwks);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const report = await verifyExportLines(lines, keys);
  if (!report.ok) {
    io.stdout.write(`FAILED ${file}: ${report.error}\n`);
    return 1;
  }
  io.stdout.write(
    `OK chain=${report.chain} entries=${report.entries} checkpoints=${report.checkpoints} last_checkpoint=${describeCheckpoint(report.lastCheckpoint)}\n`,
  );
  return 0;
}

async function checkpoint(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, options: { chain: { type: 'string' } } });
  const signed = await withJournal(io.config(), ({ journal }) => journal.checkpoint(values.chain ? [values.chain] : undefined));
  for (const c of signed) io.stdout.write(`signed ${describeCheckpoint(c)} kid=${c.kid}\n`);
  if (signed.length === 0) io.stdout.write('nothing to sign: every chain head already has a checkpoint\n');
  return 0;
}

const ROTATABLE: readonly KeyPurpose[] = ['journal', 'attestation'];

/** Rotates a signing key and journals `keys.rotated` in the same transaction. */
export async function rotateKey(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args, options: { purpose: { type: 'string' } } });
  const purpose = values.purpose as KeyPurpose;
  if (!ROTATABLE.includes(purpose)) throw new Error(`--purpose must be one of ${ROTATABLE.join(', ')}`);
  const rotated = await withJournal(io.config(), async ({ keys, journal, transactions }) => {
    const result = await transactions.run(async (manager) => {
      const made = await keys.rotate(purpose, manager);
      await journal.append(manager, {
        action: 'keys.rotated',
        structureId: null,
        actor: { type: 'operator', id: null },
        details: { purpose, kid: made.kid, retiredKid: made.retiredKid },
      });
      return made;
    });
    await journal.flush();
    return result;
  });
  io.stdout.write(`rotated ${purpose} key: ${rotated.retiredKid ?? 'none'} -> ${rotated.kid}\n`);
  return 0;
}

export const JOURNAL_COMMANDS: Record<string, (args: string[], io: CommandIo) => Promise<number>> = {
  verify,
  export: exportChain,
  'verify-file': verifyFile,
  checkpoint,
};
