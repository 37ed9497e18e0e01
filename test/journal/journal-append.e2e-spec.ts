import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { NATIONAL_CHAIN } from '../../src/journal/journal.types.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne, chainProblems, sealedRows } from './journal-helpers.js';

describe('journal: appending and sealing', () => {
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

  it('seals an appended entry as the next link of its chain on its own, shortly after commit', async () => {
    const structureId = randomUUID();
    const appended = await appendOne(transactions, journal, structureId);
    expect(appended.chain).toBe(structureId);
    const started = Date.now();
    let rows = await sealedRows(dataSource, structureId);
    // The sequencer seals without being asked. How fast (within a second
    // under load) is measured by the benchmark, not bounded by a test that a
    // busy machine would make fail.
    while (rows.length === 0 && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      rows = await sealedRows(dataSource, structureId);
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: appended.id, action: 'aidant.signed_in', prev_hash: '0'.repeat(64) });
    expect(Number(rows[0]!.seq)).toBe(1);
    expect(chainProblems(rows)).toEqual([]);
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM journal_pending`);
    expect(count).toBe(0);
  });

  it('keeps neither the change nor the entry when the use case fails after appending', async () => {
    await dataSource.query(`CREATE TABLE IF NOT EXISTS journal_test_changes (id uuid PRIMARY KEY)`);
    const changeId = randomUUID();
    let appendedId = '';
    await expect(
      transactions.run(async (manager) => {
        await manager.query(`INSERT INTO journal_test_changes (id) VALUES ($1)`, [changeId]);
        appendedId = (
          await journal.append(manager, {
            action: 'aidant.signed_out',
            structureId: null,
            actor: { type: 'aidant', id: changeId },
            details: { reason: 'user' },
          })
        ).id;
        throw new Error('the use case fails after appending');
      }),
    ).rejects.toThrow('the use case fails after appending');
    await journal.flush();
    expect(appendedId).not.toBe('');
    expect(await dataSource.query(`SELECT 1 FROM journal_test_changes WHERE id = $1`, [changeId])).toEqual([]);
    expect(await dataSource.query(`SELECT 1 FROM journal_entries WHERE id = $1`, [appendedId])).toEqual([]);
    expect(await dataSource.query(`SELECT 1 FROM journal_pending WHERE id = $1`, [appendedId])).toEqual([]);
  });

  it('fails the use case when the entry cannot be written', async () => {
    const changeId = randomUUID();
    await expect(
      transactions.run(async (manager) => {
        await manager.query(`INSERT INTO journal_test_changes (id) VALUES ($1)`, [changeId]);
        await journal.append(manager, {
          action: 'aidant.signed_in',
          structureId: null,
          actor: { type: 'aidant', id: null },
          request: { userAgent: 'ok' },
          // A payload the database refuses (NUL characters cannot be stored in jsonb).
          details: { method: 'password+totp\u0000' as 'password+totp' },
        });
      }),
    ).rejects.toThrow();
    expect(await dataSource.query(`SELECT 1 FROM journal_test_changes WHERE id = $1`, [changeId])).toEqual([]);
  });

  it('refuses to append outside a transaction, or with a malformed event', async () => {
    await expect(
      journal.append(dataSource.manager, {
        action: 'aidant.signed_out',
        structureId: null,
        actor: { type: 'aidant', id: 'x' },
        details: { reason: 'user' },
      }),
    ).rejects.toThrow('must be called with the manager of an open transaction');
    await expect(
      transactions.run((manager) =>
        journal.append(manager, {
          action: 'aidant.signed_out',
          structureId: 'national',
          actor: { type: 'aidant', id: 'x' },
          details: { reason: 'user' },
        }),
      ),
    ).rejects.toThrow('structureId must be a uuid or null');
  });

  it('keeps one chain contiguous under 64 concurrent appends', async () => {
    const structureId = randomUUID();
    await Promise.all(Array.from({ length: 64 }, () => appendOne(transactions, journal, structureId)));
    await journal.flush();
    const rows = await sealedRows(dataSource, structureId);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(chainProblems(rows)).toEqual([]);
  });

  it('keeps 16 chains contiguous under 64 concurrent appends spread over them', async () => {
    const structures = Array.from({ length: 16 }, () => randomUUID());
    await Promise.all(Array.from({ length: 64 }, (_, i) => appendOne(transactions, journal, structures[i % 16]!)));
    await journal.flush();
    for (const structureId of structures) {
      const rows = await sealedRows(dataSource, structureId);
      expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4]);
      expect(chainProblems(rows)).toEqual([]);
    }
  });

  it('records a lone event in one statement, committed and then sealed like any other', async () => {
    const structureId = randomUUID();
    const aidantId = randomUUID();
    // Interleaved with transactional appends on the same chain: one sequence for both.
    await appendOne(transactions, journal, structureId);
    const alone = await journal.appendAlone({
      action: 'aidant.signed_out',
      structureId,
      actor: { type: 'aidant', id: aidantId },
      subjects: { aidantId },
      details: { reason: 'user' },
    });
    await appendOne(transactions, journal, structureId);
    expect(alone.chain).toBe(structureId);
    // Committed when appendAlone returns: visible from another connection before any sealing.
    const visible = await dataSource.query(
      `SELECT id FROM journal_pending WHERE id = $1 UNION ALL SELECT id FROM journal_entries WHERE id = $1`,
      [alone.id],
    );
    expect(visible).toHaveLength(1);
    await journal.flush();
    const rows = await sealedRows(dataSource, structureId);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
    expect(rows[1]).toMatchObject({ id: alone.id, action: 'aidant.signed_out', aidant_id: aidantId });
    expect(chainProblems(rows)).toEqual([]);
  });

  it('refuses a malformed lone event and writes nothing', async () => {
    const structureId = randomUUID();
    await expect(
      journal.appendAlone({
        action: 'aidant.signed_out',
        structureId: 'national',
        actor: { type: 'aidant', id: 'x' },
        details: { reason: 'user' },
      }),
    ).rejects.toThrow('structureId must be a uuid or null');
    await expect(
      journal.appendAlone({
        action: 'aidant.signed_in',
        structureId,
        actor: { type: 'aidant', id: null },
        // A payload the database refuses (NUL characters cannot be stored in jsonb).
        details: { method: 'password+totp\u0000' as 'password+totp' },
      }),
    ).rejects.toThrow();
    await journal.flush();
    expect(await sealedRows(dataSource, structureId)).toEqual([]);
  });

  it('puts events without a structure on the national chain', async () => {
    const before = (await sealedRows(dataSource, NATIONAL_CHAIN)).length;
    await appendOne(transactions, journal, null);
    await journal.flush();
    const rows = await sealedRows(dataSource, NATIONAL_CHAIN);
    expect(rows).toHaveLength(before + 1);
    expect(chainProblems(rows)).toEqual([]);
  });
});
