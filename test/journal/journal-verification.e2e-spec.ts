import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, type JWK } from 'jose';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { chainHash } from '../../src/journal/entries/hash-chain.js';
import { checkpointProblem, signCheckpoint } from '../../src/journal/checkpoints/checkpoint-signature.js';
import { entryOf } from '../../src/journal/entries/entry-rows.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne, sealedRows } from './journal-helpers.js';

describe('journal: verification finds what was changed behind its back', () => {
  let testApp: TestApp;
  let journal: JournalService;
  let transactions: TransactionRunner;
  let dataSource: DataSource;

  beforeAll(async () => {
    testApp = await startTestApp();
    journal = testApp.app.get(JournalService);
    transactions = testApp.app.get(TransactionRunner);
    dataSource = testApp.app.get(DataSource);
  });
  afterAll(() => testApp.close());

  /** A chain of `length` sealed entries, its head signed by a checkpoint when asked. */
  async function chainOf(length: number, signed = true): Promise<string> {
    const chain = randomUUID();
    for (let i = 0; i < length; i++) await appendOne(transactions, journal, chain);
    if (signed) await journal.checkpoint([chain]);
    else await journal.flush();
    return chain;
  }

  /** What a superuser can do: bypass the append-only triggers. */
  async function tamper(sql: string, params: unknown[] = []): Promise<void> {
    await dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(sql, params);
    });
  }

  it('passes an untouched journal and its signed checkpoints', async () => {
    const chain = await chainOf(5);
    tampered.push(chain);
    const report = await journal.verify({ chain });
    expect(report).toMatchObject({ ok: true, chains: 1, entries: 5, checkpoints: 1, broken: null });
    expect(report.lastCheckpoint).toMatchObject({ chain, seq: 5 });
    const all = await journal.verify();
    expect(all.ok).toBe(true);
    expect(all.chains).toBe((await journal.chains()).length);
  });

  it('publishes the checkpoint key over HTTP, and the stored signatures verify with it', async () => {
    const chain = await chainOf(2);
    const response = await fetch(`${testApp.url}/.well-known/procuration/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/jwk-set+json');
    const { keys } = (await response.json()) as { keys: JWK[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    const [checkpoint] = await dataSource.query(`SELECT chain, seq::int AS seq, hash, at, jws FROM journal_checkpoints WHERE chain = $1`, [chain]);
    const statement = { chain, seq: 2, hash: checkpoint.hash, at: checkpoint.at.toISOString() };
    expect(await checkpointProblem(checkpoint.jws, statement, keys)).toBeNull();
    expect(await checkpointProblem(checkpoint.jws, { ...statement, seq: 1 }, keys)).toMatch(/checkpoint seq differs/);
    expect(await checkpointProblem(checkpoint.jws, statement, [])).toMatch(/signed by unknown key/);
  });

  const tampered: string[] = [];

  it('finds an altered entry, at that exact entry', async () => {
    const chain = await chainOf(6);
    tampered.push(chain);
    await tamper(`UPDATE journal_entries SET details = '{"method":"password"}' WHERE chain = $1 AND seq = 4`, [chain]);
    const report = await journal.verify({ chain });
    expect(report.ok).toBe(false);
    expect(report.broken).toMatchObject({ chain, seq: 4 });
    expect(report.broken!.message).toMatch(/content does not match its hash/);
  });

  it('finds a deleted entry as a gap', async () => {
    const chain = await chainOf(6);
    tampered.push(chain);
    await tamper(`DELETE FROM journal_entries WHERE chain = $1 AND seq = 3`, [chain]);
    const report = await journal.verify({ chain });
    expect(report.broken).toEqual({ chain, seq: 3, message: 'entry 3 is missing (next entry found is 4)' });
  });

  it('finds the last entries deleted, by the checkpoint that signed them', async () => {
    const chain = await chainOf(4);
    tampered.push(chain);
    await tamper(`DELETE FROM journal_entries WHERE chain = $1 AND seq >= 3`, [chain]);
    const report = await journal.verify({ chain });
    expect(report.broken).toMatchObject({ chain, seq: 4 });
    expect(report.broken!.message).toMatch(/checkpoint at seq 4 refers to a missing entry \(chain ends at 2\)/);
  });

  it('finds a chain rewritten with consistent hashes, by its signed checkpoint', async () => {
    const chain = await chainOf(5);
    tampered.push(chain);
    const rows = await sealedRows(dataSource, chain);
    let prev = rows[1]!.prev_hash;
    for (const row of rows.slice(1)) {
      const forged = { ...row, details: row.seq === rows[1]!.seq ? { method: 'forged' } : row.details };
      const hash = chainHash(prev, entryOf(forged, Number(row.seq)));
      await tamper(`UPDATE journal_entries SET details = $2, prev_hash = $3, hash = $4 WHERE id = $1`, [
        row.id,
        JSON.stringify(forged.details),
        prev,
        hash,
      ]);
      prev = hash;
    }
    const report = await journal.verify({ chain });
    expect(report.broken).toMatchObject({ chain, seq: 5 });
    expect(report.broken!.message).toMatch(/checkpoint hash [0-9a-f]{64} differs from the entry's hash/);
  });

  it('reads back values with escapes, control characters, non-ASCII and sub-millisecond times as the hash saw them', async () => {
    const chain = await chainOf(2, false);
    const [row] = await sealedRows(dataSource, chain);
    const forged = {
      ...row!,
      user_agent: 'tab\there\nnew line\r \\N \\ "quoted" é € 😀 \u0001 \u2028 \\t',
      request_id: '\\N',
      demarche: '',
      details: { method: 'a\tb', nested: { z: [1e21, 0.1, -2.5e-7, true, null], é: '\\', a: {} }, '': 'x\ny' },
    };
    const hash = chainHash(row!.prev_hash, entryOf(forged, 1));
    const [second] = (await sealedRows(dataSource, chain)).slice(1);
    const secondHash = chainHash(hash, entryOf(second!, 2));
    await tamper(
      `UPDATE journal_entries SET user_agent = $2, request_id = $3, demarche = $4, details = $5, hash = $6,
              at = date_trunc('milliseconds', at) + interval '999 microseconds' WHERE id = $1`,
      [row!.id, forged.user_agent, forged.request_id, forged.demarche, JSON.stringify(forged.details), hash],
    );
    await tamper(`UPDATE journal_entries SET prev_hash = $2, hash = $3 WHERE id = $1`, [second!.id, hash, secondHash]);
    expect(await journal.verify({ chain })).toMatchObject({ ok: true, entries: 2, broken: null });
    await tamper(`UPDATE journal_entries SET user_agent = $2 WHERE id = $1`, [row!.id, `${forged.user_agent}\t`]);
    const report = await journal.verify({ chain });
    tampered.push(chain);
    expect(report.broken).toMatchObject({ chain, seq: 1 });
    expect(report.broken!.message).toMatch(/content does not match its hash/);
  });

  it('reports a forged checkpoint signature', async () => {
    const chain = await chainOf(3, false);
    tampered.push(chain);
    const [head] = (await sealedRows(dataSource, chain)).slice(-1);
    const { kid } = (await dataSource.query(`SELECT kid FROM service_keys WHERE purpose = 'journal' AND retired_at IS NULL`))[0];
    const { privateKey } = await generateKeyPair('ES256');
    const statement = { chain, seq: 3, hash: head!.hash, at: new Date().toISOString() };
    const jws = await signCheckpoint({ kid, alg: 'ES256', privateKey }, statement);
    await dataSource.query(`INSERT INTO journal_checkpoints (chain, seq, hash, at, kid, jws) VALUES ($1, 3, $2, $3, $4, $5)`, [
      chain,
      head!.hash,
      statement.at,
      kid,
      jws,
    ]);
    const report = await journal.verify({ chain });
    expect(report.broken).toEqual({ chain, seq: 3, message: `checkpoint signature does not verify with key ${kid}` });
  });

  it('reports, over all chains, the first broken one in chain order, the same every time', async () => {
    const first = await journal.verify();
    const second = await journal.verify();
    expect(first.ok).toBe(false);
    expect(tampered).toContain(first.broken!.chain);
    expect(second).toEqual(first);
    expect(first.chains).toBeLessThanOrEqual((await journal.chains()).length);
  });
});
