/**
 * The witness over real HTTP on loopback (C2SP tlog-witness add-checkpoint):
 * it cosigns a checkpoint signed by the log's key that extends the last one
 * it cosigned, and refuses the rest with the status the protocol assigns.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WitnessConfig } from '../../config/witness-config.js';
import { InMemoryMerkleTree, consistencyProof, rootAt } from '../../src/journal/merkle/index.js';
import { formatCheckpoint } from '../../src/journal/notes/checkpoint.js';
import { cosignatureTime } from '../../src/journal/notes/cosignature.js';
import { formatVerifierKey, generateSignerKey, SIGNATURE_TYPE, type SignerKey } from '../../src/journal/notes/note.keys.js';
import { ed25519Signer, signNote, verifyNote } from '../../src/journal/notes/note.js';
import { verifierFromKey } from '../../src/journal/notes/note.verifiers.js';
import { startWitness, type RunningWitness } from '../../src/witness/witness.server.js';
import type { WitnessEvent } from '../../src/witness/witness.js';

const ORIGIN = 'procuration.test/journal/structure-1';
const NOW = new Date('2026-03-01T10:00:00Z');

const log = generateSignerKey('procuration.test/journal');
const impostor = generateSignerKey('procuration.test/journal');
const history = new InMemoryMerkleTree();
for (let i = 0; i < 40; i += 1) history.append(Buffer.from(`entry ${i}`));

function checkpointNote(tree: InMemoryMerkleTree, size: number, origin = ORIGIN, key: SignerKey = log): string {
  const text = formatCheckpoint({ origin, size, rootHash: rootAt(tree, size), extensions: [] });
  return signNote(text, [ed25519Signer(key)]);
}

function body(oldSize: number, proof: Buffer[], note: string): string {
  return `old ${oldSize}\n${proof.map((hash) => `${hash.toString('base64')}\n`).join('')}\n${note}`;
}

describe('witness (tlog-witness add-checkpoint)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'witness-'));
  const config: WitnessConfig = {
    host: '127.0.0.1',
    port: 0,
    stateFile: join(dir, 'state.json'),
    name: 'witness.procuration.test',
    logs: [{ origin: 'procuration.test/journal/', prefix: true, verifierKey: formatVerifierKey(log.name, SIGNATURE_TYPE.ed25519, log.publicKey) }],
  };
  const events: WitnessEvent[] = [];
  let witness: RunningWitness;

  const post = async (text: string, path = '/add-checkpoint', method = 'POST') => {
    const response = await fetch(`${witness.url}${path}`, { method, body: method === 'POST' ? text : undefined });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };

  beforeAll(async () => {
    witness = await startWitness(config, { now: () => NOW, report: (event) => events.push(event) });
  });
  afterAll(async () => {
    await witness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cosigns a first checkpoint (old 0): the answer is a cosignature line for that checkpoint at the witness time', async () => {
    const note = checkpointNote(history, 5);
    const answer = await post(body(0, [], note));
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/^— witness\.procuration\.test [A-Za-z0-9+/=]+\n$/);
    const opened = verifyNote(note + answer.text, [verifierFromKey(witness.verifierKey)]);
    expect(opened.verified).toHaveLength(1);
    expect(cosignatureTime(opened.verified[0])).toBe(NOW.getTime() / 1000);
  });

  it('cosigns a larger checkpoint with a valid consistency proof from the cosigned size', async () => {
    const answer = await post(body(5, consistencyProof(history, 5, 12), checkpointNote(history, 12)));
    expect(answer.status).toBe(200);
    const state = JSON.parse(readFileSync(config.stateFile, 'utf8'));
    expect(state.logs[ORIGIN]).toMatchObject({ size: 12, rootHash: rootAt(history, 12).toString('base64') });
  });

  it('answers 409 with its current size when the old size is not the one it cosigned', async () => {
    const answer = await post(body(5, consistencyProof(history, 5, 20), checkpointNote(history, 20)));
    expect(answer).toEqual({ status: 409, type: 'text/x.tlog.size', text: '12\n' });
  });

  it('refuses to go backwards (old size above the checkpoint size) with 400', async () => {
    const answer = await post(body(12, [], checkpointNote(history, 8)));
    expect([answer.status, answer.text]).toEqual([400, 'old size 12 is larger than the checkpoint size 8\n']);
  });

  it('refuses a rewritten history, signed by the log\'s own key, with 422, and stays where it was', async () => {
    const forked = new InMemoryMerkleTree();
    for (let i = 0; i < 40; i += 1) forked.append(Buffer.from(i === 3 ? 'entry 3, rewritten' : `entry ${i}`));
    const answer = await post(body(12, consistencyProof(forked, 12, 20), checkpointNote(forked, 20)));
    expect(answer.status).toBe(422);
    expect(answer.text).toBe(
      'the checkpoint is not consistent with the cosigned one of size 12: the proof does not lead to the root of the old tree of 12 leaves\n',
    );
    expect(events.at(-1)).toMatchObject({ event: 'refused', status: 422, origin: ORIGIN, oldSize: 12, size: 20 });
    // Sideways at the same size: another root for 12 leaves.
    expect((await post(body(12, [], checkpointNote(forked, 12)))).status).toBe(422);
    expect(JSON.parse(readFileSync(config.stateFile, 'utf8')).logs[ORIGIN].size).toBe(12);
  });

  it('refuses a proof of the wrong length with 422', async () => {
    const answer = await post(body(12, consistencyProof(history, 12, 20).slice(1), checkpointNote(history, 20)));
    expect(answer.status).toBe(422);
    expect(answer.text).toMatch(/consistency proof from 12 to 20 leaves has \d+ hashes, not \d+/);
  });

  it.each([
    ['a byte of the checkpoint changed', () => checkpointNote(history, 20).replace('\n20\n', '\n21\n'), 'the checkpoint signature is not accepted: the signature of procuration.test/journal'],
    ['a note signed by another key of the same name', () => checkpointNote(history, 20, ORIGIN, impostor), 'the checkpoint signature is not accepted: no signature by a trusted key'],
  ])('refuses %s with 403', async (_case, note, reason) => {
    const answer = await post(body(12, consistencyProof(history, 12, 20), note()));
    expect(answer.status).toBe(403);
    expect(answer.text.startsWith(reason)).toBe(true);
  });

  it('refuses an origin it does not witness with 404', async () => {
    const answer = await post(body(0, [], checkpointNote(history, 3, 'elsewhere.example/log')));
    expect([answer.status, answer.text]).toEqual([404, 'unknown log origin elsewhere.example/log\n']);
  });

  it.each([
    ['no old line', (note: string) => `\n${note}`, 400, 'the first line is not "old <size>"'],
    ['an old size with a leading zero', (note: string) => `old 05\n\n${note}`, 400, 'the first line is not "old <size>"'],
    ['a proof line that is not a hash', (note: string) => `old 0\nnot-a-hash\n\n${note}`, 400, 'consistency proof line 1 is not a base64 SHA-256 hash'],
    ['64 proof lines', (note: string) => `old 0\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${note}`, 400, 'more than 63 consistency proof lines'],
    ['a note without signatures', () => 'old 0\n\nprocuration.test/journal/structure-2\n1\n', 400, 'the checkpoint is malformed: the note has no blank line before its signatures'],
    ['a proof from old size 0', (note: string) => `old 0\n${Buffer.alloc(32).toString('base64')}\n\n${note}`, 422, 'from old size 0 the consistency proof must be empty'],
  ])('refuses %s', async (_case, make, status, reason) => {
    const answer = await post(make(checkpointNote(history, 4, 'procuration.test/journal/structure-2')));
    expect([answer.status, answer.text]).toEqual([status, `${reason}\n`]);
  });

  it('refuses a size-0 checkpoint whose root is not the empty tree\'s with 422', async () => {
    const text = formatCheckpoint({ origin: 'procuration.test/journal/structure-3', size: 0, rootHash: Buffer.alloc(32, 1), extensions: [] });
    const answer = await post(body(0, [], signNote(text, [ed25519Signer(log)])));
    expect([answer.status, answer.text]).toEqual([422, 'a checkpoint of size 0 must have the root hash of the empty tree\n']);
  });

  it('serves the cosigned checkpoint to monitors, and refuses other methods and paths', async () => {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(ORIGIN).digest('hex');
    const latest = await post('', `/${hash}/checkpoint`, 'GET');
    expect(latest.status).toBe(200);
    const opened = verifyNote(latest.text, [verifierFromKey(config.logs[0].verifierKey), verifierFromKey(witness.verifierKey)]);
    expect(opened.text).toBe(formatCheckpoint({ origin: ORIGIN, size: 12, rootHash: rootAt(history, 12), extensions: [] }));
    expect(opened.verified).toHaveLength(2);
    expect((await post('', `/${'0'.repeat(64)}/checkpoint`, 'GET')).status).toBe(404);
    expect((await post('', '/add-checkpoint', 'GET')).status).toBe(405);
    expect((await post('x'.repeat(70_000))).status).toBe(413);
  });

  it('keeps its key and the cosigned sizes across a restart', async () => {
    const before = witness.verifierKey;
    await witness.close();
    witness = await startWitness(config, { now: () => NOW });
    expect(witness.verifierKey).toBe(before);
    expect(await post(body(0, [], checkpointNote(history, 40)))).toEqual({ status: 409, type: 'text/x.tlog.size', text: '12\n' });
    expect((await post(body(12, consistencyProof(history, 12, 40), checkpointNote(history, 40)))).status).toBe(200);
  });
});
