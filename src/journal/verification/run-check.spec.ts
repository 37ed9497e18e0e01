import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { chainHash, GENESIS_HASH } from '../entries/hash-chain.js';
import { signCheckpoint } from '../checkpoints/checkpoint-signature.js';
import type { JournalCheckpoint, SealedJournalEntry } from '../journal.types.js';
import { ChainVerifier } from './chain-verifier.js';
import { VerifyPool } from './worker-pool.js';
import { checkCopyRun, linkRun } from './run-check.js';

const CHAIN = 'national';

/** A chain of `count` sealed entries, as verification reads them. */
function chainOf(count: number): SealedJournalEntry[] {
  const entries: SealedJournalEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const entry = {
      id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      chain: CHAIN,
      seq,
      at: `2026-01-31T09:00:0${seq % 10}.000Z`,
      action: 'aidant.signed_in',
      actor: { type: 'aidant', id: 'a1' },
      subjects: { usagerId: null, mandateId: null, aidantId: 'a1', partnerId: null },
      demarche: null,
      request: { ip: '192.0.2.1', userAgent: `navigateur é\t${seq}`, requestId: null },
      details: { method: 'password+totp', n: seq },
    };
    const hash = chainHash(prevHash, entry);
    entries.push({ ...entry, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

/** A field as PostgreSQL's COPY text format writes it. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
}

function copyLine(e: SealedJournalEntry): string {
  return [
    e.id, e.chain, e.at, e.action, e.actor.type, e.actor.id, e.subjects.usagerId, e.subjects.mandateId,
    e.subjects.aidantId, e.subjects.partnerId, e.demarche, e.request.ip, e.request.userAgent, e.request.requestId,
    JSON.stringify(e.details), String(e.seq), e.prevHash, e.hash,
  ].map(copyField).join('\t');
}

const bytesOf = (entries: SealedJournalEntry[]) => Buffer.from(entries.map((e) => `${copyLine(e)}\n`).join(''), 'utf8');

async function signedCheckpoints(entries: SealedJournalEntry[], seqs: number[]) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const key = { kid: 'k1', alg: 'ES256' as const, privateKey };
  const checkpoints: JournalCheckpoint[] = [];
  for (const seq of seqs) {
    const statement = { chain: CHAIN, seq, hash: entries[seq - 1]!.hash, at: '2026-01-31T10:00:00.000Z' };
    checkpoints.push({ ...statement, kid: 'k1', jws: await signCheckpoint(key, statement) });
  }
  return { checkpoints, jwks: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] };
}

/** Checks `entries` cut into runs at `cuts` (first seq of each later run), linked in order as verification does. */
async function verifyInRuns(entries: SealedJournalEntry[], cuts: number[], checkpoints: JournalCheckpoint[], jwks: object[]) {
  const verifier = new ChainVerifier(CHAIN, jwks);
  const bounds = [1, ...cuts, Number.MAX_SAFE_INTEGER];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const inRun = (seq: number) => seq >= bounds[i]! && seq < bounds[i + 1]!;
    const runEntries = entries.filter((e) => inRun(e.seq));
    const runCheckpoints = checkpoints.filter((c) => inRun(c.seq));
    const run = checkCopyRun(CHAIN, bytesOf(runEntries), runCheckpoints.map((c) => c.seq));
    const broken = await linkRun(verifier, run, runCheckpoints);
    if (broken) return { verifier, broken };
  }
  return { verifier, broken: null };
}

describe('journal verification by runs', () => {
  const entries = chainOf(9);

  it('checks a run from its own first prev_hash and gives the hashes at the seqs asked for', () => {
    const run = checkCopyRun(CHAIN, bytesOf(entries.slice(3, 7)), [2, 5, 7, 8]);
    expect(run.broken).toBeNull();
    expect(run.first).toEqual({ chain: CHAIN, seq: 4, prevHash: entries[2]!.hash });
    expect(run.last).toEqual({ seq: 7, hash: entries[6]!.hash });
    expect(run.marks).toEqual([
      { seq: 5, hash: entries[4]!.hash },
      { seq: 7, hash: entries[6]!.hash },
    ]);
  });

  it('links runs into the whole chain and checks each checkpoint at its entry', async () => {
    const { checkpoints, jwks } = await signedCheckpoints(entries, [3, 4, 9]);
    const { verifier, broken } = await verifyInRuns(entries, [4, 8], checkpoints, jwks);
    expect(broken).toBeNull();
    expect(verifier.head).toEqual({ seq: 9, hash: entries[8]!.hash });
    expect(verifier.checkpoints).toBe(3);
  });

  it.each([
    ['an edited entry inside a run', (e: SealedJournalEntry[]) => e.map((x) => (x.seq === 6 ? { ...x, action: 'aidant.signed_out' } : x)), 6, /content does not match/],
    ['an edited first entry of a run', (e: SealedJournalEntry[]) => e.map((x) => (x.seq === 4 ? { ...x, demarche: 'logement' } : x)), 4, /content does not match/],
    ['a removed first entry of a run', (e: SealedJournalEntry[]) => e.filter((x) => x.seq !== 4), 4, /entry 4 is missing \(next entry found is 5\)/],
    ['a removed entry inside a run', (e: SealedJournalEntry[]) => e.filter((x) => x.seq !== 6), 6, /entry 6 is missing/],
    ['a rewritten run whose first link is wrong', (e: SealedJournalEntry[]) => e.map((x) => (x.seq === 8 ? { ...x, prevHash: 'f'.repeat(64) } : x)), 8, /prev_hash f+ differs from the hash of entry 7/],
  ])('reports %s at its exact seq', async (_what, tamper, seq, message) => {
    const { broken } = await verifyInRuns(tamper(entries), [4, 8], [], []);
    expect(broken).toEqual({ chain: CHAIN, seq, message: expect.stringMatching(message) });
  });

  it('reports a forged checkpoint before a later broken entry', async () => {
    const { checkpoints, jwks } = await signedCheckpoints(entries, [3, 5]);
    const forged = checkpoints.map((c) => (c.seq === 5 ? { ...c, jws: checkpoints[0]!.jws } : c));
    const tampered = entries.map((x) => (x.seq === 7 ? { ...x, action: 'aidant.signed_out' } : x));
    const { broken } = await verifyInRuns(tampered, [4], forged, jwks);
    expect(broken).toEqual({ chain: CHAIN, seq: 5, message: expect.stringMatching(/checkpoint/) });
  });

  it('checks runs the same way in the caller\'s thread when there is no worker thread', async () => {
    const pool = new VerifyPool(0);
    expect(pool.threads).toBe(0);
    const marks = [5];
    await expect(pool.check(CHAIN, bytesOf(entries.slice(3, 7)), marks)).resolves.toEqual(
      checkCopyRun(CHAIN, bytesOf(entries.slice(3, 7)), marks),
    );
    await pool.close();
  });

  it('checks runs in worker threads, answers each run to its caller, and reports a broken line as an error', async () => {
    // The worker runs the TypeScript sources through the tests' loader (the service runs the compiled file).
    const loader = new URL('../../../test/support/ts-in-worker.mjs', import.meta.url).href;
    const pool = new VerifyPool(2, new URL('./worker.ts', import.meta.url), ['--import', loader]);
    try {
      expect(pool.threads).toBe(2);
      const runs = [entries.slice(0, 3), entries.slice(3, 6), entries.slice(6)];
      const checked = await Promise.all(runs.map((run) => pool.check(CHAIN, bytesOf(run), [3, 6, 9])));
      expect(checked).toEqual(runs.map((run) => checkCopyRun(CHAIN, bytesOf(run), [3, 6, 9])));
      expect(checked.map((run) => run.last?.seq)).toEqual([3, 6, 9]);
      await expect(pool.check(CHAIN, Buffer.from('not\ta copy line\n'), [])).rejects.toThrow(/fields, expected 18/);
      await expect(pool.check(CHAIN, bytesOf(entries.slice(0, 2)), [])).resolves.toMatchObject({ broken: null });
    } finally {
      await pool.close();
    }
  });
});
