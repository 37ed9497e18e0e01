import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { InMemoryMerkleTree, rootAt } from '../../src/journal/merkle/index.js';
import { parseCheckpoint } from '../../src/journal/notes/checkpoint.js';
import { verifyNote } from '../../src/journal/notes/note.js';
import { verifierFromKey } from '../../src/journal/notes/note.verifiers.js';
import { KeysService } from '../../src/keys/keys.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne, leafOfRow, sealedRows } from './journal-helpers.js';

describe('journal: checkpoints as C2SP signed notes', () => {
  let testApp: TestApp;
  let journal: JournalService;
  let transactions: TransactionRunner;
  let dataSource: DataSource;
  const chain = randomUUID();

  beforeAll(async () => {
    testApp = await startTestApp();
    journal = testApp.app.get(JournalService);
    transactions = testApp.app.get(TransactionRunner);
    dataSource = testApp.app.get(DataSource);
  });
  afterAll(() => testApp.close());

  async function publishedKeys(): Promise<string[]> {
    const response = await fetch(`${testApp.url}/.well-known/procuration/journal-note-keys`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    return text.slice(0, -1).split('\n');
  }

  async function noteAt(seq: number): Promise<string> {
    const [row] = await dataSource.query(`SELECT note FROM journal_checkpoints WHERE chain = $1 AND seq = $2`, [chain, seq]);
    expect(typeof row.note).toBe('string');
    return row.note as string;
  }

  async function appendAndCheckpoint(count: number): Promise<number> {
    for (let i = 0; i < count; i++) await appendOne(transactions, journal, chain);
    const [checkpoint] = (await journal.checkpoint([chain])) as { seq: number }[];
    return checkpoint!.seq;
  }

  it('signs each checkpoint also as a tlog-checkpoint of the chain’s Merkle root, verifiable with the published key', async () => {
    const seq = await appendAndCheckpoint(5);
    expect(seq).toBe(5);
    const keys = await publishedKeys();
    expect(keys).toHaveLength(1);
    const host = new URL(testApp.url).host;
    expect(keys[0]).toMatch(new RegExp(`^${host.replace(/\./g, '\\.')}/journal\\+[0-9a-f]{8}\\+`));

    const note = verifyNote(await noteAt(seq), [verifierFromKey(keys[0]!)]);
    const checkpoint = parseCheckpoint(note.text);
    expect(checkpoint.origin).toBe(`${host}/journal/v2/${chain}`);
    expect(checkpoint.size).toBe(5);
    const tree = new InMemoryMerkleTree();
    for (const row of await sealedRows(dataSource, chain)) tree.append(leafOfRow(row));
    expect(checkpoint.rootHash).toEqual(rootAt(tree, 5));

    // The private part is encrypted at rest, like the other service keys.
    const [row] = await dataSource.query(`SELECT private_jwk FROM service_keys WHERE purpose = 'journal-note'`);
    expect(row.private_jwk).toMatch(/^v1\./);
    expect(row.private_jwk).not.toContain('"d"');
  });

  it('signs with the new key after a rotation; the old key stays published and its notes still verify', async () => {
    const [oldKey] = await publishedKeys();
    const rotated = await testApp.app.get(KeysService).rotate('journal-note');
    expect(rotated.kid).toMatch(/^journal-note-ed25519-/);
    const seq = await appendAndCheckpoint(3);
    const keys = await publishedKeys();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(oldKey);
    const newNote = await noteAt(seq);
    expect(parseCheckpoint(verifyNote(newNote, [verifierFromKey(keys[0]!)]).text).size).toBe(8);
    expect(() => verifyNote(newNote, [verifierFromKey(oldKey!)])).toThrow();
    expect(parseCheckpoint(verifyNote(await noteAt(5), [verifierFromKey(oldKey!)]).text).size).toBe(5);
  });
});
