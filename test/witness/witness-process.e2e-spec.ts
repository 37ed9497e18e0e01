/**
 * `npm run witness`'s entry point as its own process: it prints its URL and
 * key, and a cosigned size survives the process being killed (SIGKILL, no
 * chance to flush anything) right after it answered.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from '@jest/globals';
import { InMemoryMerkleTree, rootAt } from '../../src/journal/merkle/index.js';
import { formatCheckpoint } from '../../src/journal/notes/checkpoint.js';
import { formatVerifierKey, generateSignerKey, SIGNATURE_TYPE } from '../../src/journal/notes/note.keys.js';
import { ed25519Signer, signNote } from '../../src/journal/notes/note.js';

const ROOT = new URL('../../', import.meta.url);
const log = generateSignerKey('procuration.test/journal');
const tree = new InMemoryMerkleTree();
for (let i = 0; i < 5; i += 1) tree.append(Buffer.from(`entry ${i}`));

function start(env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', './test/support/ts-in-worker.mjs', 'src/witness/witness.main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

async function firstLine(child: ChildProcessWithoutNullStreams): Promise<{ url: string; verifierKey: string }> {
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) return JSON.parse(line);
  throw new Error('the witness printed nothing');
}

describe('witness process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'witness-process-'));
  const env = {
    WITNESS_PORT: '0',
    WITNESS_STATE_FILE: join(dir, 'state.json'),
    WITNESS_LOGS: `procuration.test/journal/* ${formatVerifierKey(log.name, SIGNATURE_TYPE.ed25519, log.publicKey)}`,
  };
  const children: ChildProcessWithoutNullStreams[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a cosigned size and its key when killed right after answering', async () => {
    const note = signNote(formatCheckpoint({ origin: 'procuration.test/journal/s1', size: 5, rootHash: rootAt(tree, 5), extensions: [] }), [ed25519Signer(log)]);
    const first = start(env);
    children.push(first);
    const started = await firstLine(first);
    const answer = await fetch(`${started.url}/add-checkpoint`, { method: 'POST', body: `old 0\n\n${note}` });
    expect(answer.status).toBe(200);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;

    const second = start(env);
    children.push(second);
    const restarted = await firstLine(second);
    expect(restarted.verifierKey).toBe(started.verifierKey);
    const again = await fetch(`${restarted.url}/add-checkpoint`, { method: 'POST', body: `old 0\n\n${note}` });
    expect([again.status, await again.text()]).toEqual([409, '5\n']);
  });

  it('refuses to start on a broken setting, naming the variable', async () => {
    const child = start({ ...env, WITNESS_PORT: 'eighty' });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toBe('Invalid configuration: WITNESS_PORT must be an integer from 0 to 65535.\n');
  });
});
