import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { rotateKey } from '../../src/cli/operator-commands.js';
import { JOURNAL_COMMANDS } from '../../src/journal/journal.commands.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { formatVerifierKey, generateSignerKey, parseVerifierKey, SIGNATURE_TYPE } from '../../src/journal/notes/note.keys.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne } from './journal-helpers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('journal: export and offline verification (command line)', () => {
  let testApp: TestApp;
  let dir: string;
  let chain: string;
  let exported: string[];

  /** Runs a journal command in this process, against the suite's database. */
  async function run(...args: string[]): Promise<Run> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    const config = () => loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: testApp.database.url });
    const command = args[0] === 'rotate-key' ? rotateKey : JOURNAL_COMMANDS[args[0]!]!;
    const code = await command(args.slice(1), { config, stdout, stderr });
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  const jwksUrl = () => `${testApp.url}/.well-known/procuration/jwks.json`;

  beforeAll(async () => {
    testApp = await startTestApp({ DATABASE_POOL_SIZE: '4', JOURNAL_CHECKPOINT_EVERY: '4' });
    dir = mkdtempSync(join(tmpdir(), 'journal-export-'));
    chain = randomUUID();
    const journal = testApp.app.get(JournalService);
    const transactions = testApp.app.get(TransactionRunner);
    for (let i = 0; i < 10; i++) await appendOne(transactions, journal, chain);
    await journal.flush();
    const result = await run('export', '--chain', chain, '--out', join(dir, 'chain.jsonl'));
    expect(result.code).toBe(0);
    exported = readFileSync(join(dir, 'chain.jsonl'), 'utf8').trimEnd().split('\n');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await testApp.close();
  });

  it('verifies the journal in the database', async () => {
    expect(await run('verify')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^OK chains=\d+ entries=\d+ checkpoints=\d+ last_checkpoint=\S+:\d+@\S+\n$/) });
    const checkpoints = exported.filter((l) => l.includes('"type":"checkpoint"')).length;
    expect((await run('verify', '--chain', chain)).stdout).toMatch(
      new RegExp(`^OK chains=1 entries=11 checkpoints=${checkpoints} last_checkpoint=${chain}:11@`),
    );
  });

  it('exports header, entries with their checkpoints, and an end record; the export itself is journaled', () => {
    const records = exported.map((line) => JSON.parse(line) as { type: string; seq?: number; action?: string });
    expect(records[0]).toMatchObject({ type: 'header', format: 'procuration-journal', version: 2, chain, lastSeq: 11 });
    // Version 2: each entry with the salt of its request commitment, each checkpoint with its C2SP note.
    expect(records.filter((r) => r.type === 'entry').every((r) => /^[0-9a-f]{32}$/.test((r as { requestSalt?: string }).requestSalt ?? ''))).toBe(true);
    expect(records.filter((r) => r.type === 'checkpoint').every((r) => typeof (r as { note?: unknown }).note === 'string')).toBe(true);
    expect(records.filter((r) => r.type === 'entry').map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // Checkpoints every 4 entries at most (at the end of a sealed batch), and one at the exported head.
    const checkpoints = records.filter((r) => r.type === 'checkpoint').map((r) => r.seq!);
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints.at(-1)).toBe(11);
    expect(records.find((r) => r.seq === 11 && r.type === 'entry')).toMatchObject({ action: 'journal.exported' });
    expect(records.at(-1)).toMatchObject({ type: 'end', entries: 11, checkpoints: checkpoints.length });
  });

  it('checks the export offline with the JWKS fetched over HTTP, or from a file', async () => {
    const file = join(dir, 'chain.jsonl');
    expect(await run('verify-file', file, '--jwks', jwksUrl())).toMatchObject({
      code: 0,
      stdout: `OK chain=${chain} entries=11 checkpoints=${exported.length - 13} last_checkpoint=${chain}:11@${JSON.parse(exported.at(-2)!).at} merkle_roots=${exported.length - 13}\n`,
    });
    writeFileSync(join(dir, 'jwks.json'), await (await fetch(jwksUrl())).text());
    expect((await run('verify-file', file, '--jwks', join(dir, 'jwks.json'))).code).toBe(0);
    // With the note verifier keys, the notes' signatures are checked too.
    // The service and the command that exported run with different PUBLIC_URLs: one key, served once, under each name the notes carry.
    const names = new Set(exported.filter((l) => l.includes('"type":"checkpoint"')).map((l) => /\n— (\S+) /.exec((JSON.parse(l) as { note: string }).note)![1]!));
    const [served] = (await (await fetch(`${testApp.url}/.well-known/procuration/journal-note-keys`)).text()).trim().split('\n');
    const noteKeys = [...names].flatMap((name) => ['--key', formatVerifierKey(name, SIGNATURE_TYPE.ed25519, parseVerifierKey(served!).publicKey)]);
    expect(await run('verify-file', file, '--jwks', jwksUrl(), ...noteKeys)).toMatchObject({ code: 0, stdout: expect.stringMatching(/ merkle_roots=\d+ notes_signed\n$/) });
    const other = generateSignerKey('procuration.invalid/journal');
    const stranger = formatVerifierKey(other.name, SIGNATURE_TYPE.ed25519, other.publicKey);
    expect(await run('verify-file', file, '--jwks', jwksUrl(), '--key', stranger)).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/: line \d+: chain \S+ seq \d+: checkpoint note is refused: /),
    });
  });

  const entryLine = (seq: number) => exported.findIndex((l) => l.includes('"type":"entry"') && JSON.parse(l).seq === seq);
  /** An entry with no checkpoint right after it (where batches ended depends on timing). */
  const unsignedSeq = () =>
    [6, 5, 7, 3, 9].find((seq) => !exported.some((l) => l.includes('"type":"checkpoint"') && JSON.parse(l).seq === seq))!;
  const swap = (lines: string[], a: number, b: number) => {
    const copy = [...lines];
    [copy[a], copy[b]] = [copy[b]!, copy[a]!];
    return copy;
  };

  it.each<[string, (lines: string[]) => string[], RegExp]>([
    ['two entries swapped', (l) => swap(l, entryLine(2), entryLine(3)), /^line 3: chain \S+ seq 2: entry 2 is missing \(next entry found is 3\)$/],
    ['an entry edited', (l) => l.map((x, i) => (i === entryLine(5) ? x.replace('password+totp', 'password') : x)), /^line \d+: chain \S+ seq 5: content does not match its hash/],
    ['an entry removed', (l) => l.filter((_, i) => i !== entryLine(unsignedSeq())), /^line \d+: chain \S+ seq (\d+): entry \1 is missing \(next entry found is \d+\)$/],
    ['the end record cut off', (l) => l.slice(0, -1), /^the file is truncated: no end record after line \d+ \(last entry seq 11\)$/],
    ['a line cut in the middle', (l) => [...l.slice(0, 5), l[5]!.slice(0, 40)], /^line 6: not valid JSON \(the file is truncated or was edited\)$/],
    ['the tail of entries and the end dropped', (l) => l.slice(0, entryLine(10)), /^the file is truncated: no end record after line \d+ \(last entry seq 9\)$/],
    ['the last checkpoint removed', (l) => l.filter((x) => !(x.includes('"type":"checkpoint"') && JSON.parse(x).seq === 11)), /^line \d+: end record \(11 entries, (\d+) checkpoints\) does not match the file \(11 entries, \d+ checkpoints\)$/],
    ['a field added', (l) => l.map((x, i) => (i === entryLine(1) ? x.replace('{"type":"entry",', '{"type":"entry","note":"x",') : x)), /^line 2: unexpected field note$/],
    ['no header', (l) => l.slice(1), /^line 1: not a procuration-journal version 1 or 2 header$/],
    [
      'a request salt changed (the chain hash does not cover it: the Merkle root does)',
      (l) => l.map((x, i) => (i === entryLine(1) ? x.replace(/"requestSalt":"([0-9a-f]{31})([0-9a-f])"/, (_all, head: string, last: string) => `"requestSalt":"${head}${last === '0' ? '1' : '0'}"`) : x)),
      /^line \d+: chain \S+ seq \d+: checkpoint note's Merkle root \S+ differs from the root of the entries \S+$/,
    ],
    ['a checkpoint without its note member', (l) => l.map((x) => (x.includes('"type":"checkpoint"') ? x.replace(/,"note":"(?:[^"\\]|\\.)*"/, '') : x)), /^line \d+: missing field note$/],
  ])('rejects an export with %s, precisely', async (_what, change, message) => {
    const file = join(dir, `bad-${randomUUID()}.jsonl`);
    writeFileSync(file, `${change(exported).join('\n')}\n`);
    const result = await run('verify-file', file, '--jwks', jwksUrl());
    expect(result.code).toBe(1);
    expect(result.stdout.startsWith(`FAILED ${file}: `)).toBe(true);
    expect(result.stdout.slice(`FAILED ${file}: `.length).trimEnd()).toMatch(message);
  });

  it('reports a broken journal in the database with exit code 1', async () => {
    const broken = randomUUID();
    const journal = testApp.app.get(JournalService);
    for (let i = 0; i < 3; i++) await appendOne(testApp.app.get(TransactionRunner), journal, broken);
    await journal.flush();
    await testApp.app.get(TransactionRunner).run(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(`UPDATE journal_entries SET action = 'aidant.signed_out' WHERE chain = $1 AND seq = 2`, [broken]);
    });
    expect(await run('verify', '--chain', broken)).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(new RegExp(`^BROKEN chain=${broken} seq=2: content does not match its hash`)),
    });
  });

  it('signs checkpoints on demand, and refuses to export a chain that does not exist', async () => {
    const chainWithNews = randomUUID();
    await appendOne(testApp.app.get(TransactionRunner), testApp.app.get(JournalService), chainWithNews);
    const signed = await run('checkpoint', '--chain', chainWithNews);
    expect(signed).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^signed ${chainWithNews}:1@\\S+ kid=journal-`)) });
    expect((await run('checkpoint', '--chain', chainWithNews)).stdout).toBe('nothing to sign: every chain head already has a checkpoint\n');
    await expect(run('export', '--chain', randomUUID())).rejects.toThrow(/journal chain \S+ does not exist/);
    await expect(run('verify', '--chain', randomUUID())).rejects.toThrow(/journal chain \S+ does not exist/);
  });

  it('rotates the journal key: new checkpoints use the new key, earlier exports still verify', async () => {
    const rotated = await run('rotate-key', '--purpose', 'journal');
    const [, oldKid, newKid] = /^rotated journal key: (\S+) -> (\S+)\n$/.exec(rotated.stdout) ?? [];
    expect(rotated.code).toBe(0);
    expect(newKid).not.toBe(oldKid);
    const { keys } = (await (await fetch(jwksUrl())).json()) as { keys: { kid: string }[] };
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect((await run('verify-file', join(dir, 'chain.jsonl'), '--jwks', jwksUrl())).code).toBe(0);
    const journal = testApp.app.get(JournalService);
    await appendOne(testApp.app.get(TransactionRunner), journal, chain);
    expect((await run('checkpoint', '--chain', chain)).stdout).toContain(`kid=${newKid}`);
    const [entry] = await testApp.app.get(DataSource).query(
      `SELECT details FROM journal_entries WHERE action = 'keys.rotated' ORDER BY sealed_at DESC LIMIT 1`,
    );
    expect(entry.details).toEqual({ purpose: 'journal', kid: newKid, retiredKid: oldKid });
    expect((await run('verify', '--chain', chain)).code).toBe(0);
  });
});
