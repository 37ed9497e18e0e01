import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne } from './journal-helpers.js';

describe('journal: the database refuses changes', () => {
  let testApp: TestApp;
  let dataSource: DataSource;
  let structureId: string;

  beforeAll(async () => {
    testApp = await startTestApp();
    dataSource = testApp.app.get(DataSource);
    const journal = testApp.app.get(JournalService);
    const transactions = testApp.app.get(TransactionRunner);
    structureId = randomUUID();
    for (let i = 0; i < 3; i++) await appendOne(transactions, journal, structureId);
    await journal.checkpoint();
  });
  afterAll(() => testApp.close());

  it.each([
    ['UPDATE of an entry', `UPDATE journal_entries SET action = 'aidant.signed_out' WHERE seq = 2`],
    ['DELETE of an entry', `DELETE FROM journal_entries WHERE seq = 2`],
    ['TRUNCATE of the entries', `TRUNCATE journal_entries`],
    ['UPDATE of a checkpoint', `UPDATE journal_checkpoints SET seq = 1`],
    ['DELETE of a checkpoint', `DELETE FROM journal_checkpoints`],
    ['TRUNCATE of the checkpoints', `TRUNCATE journal_checkpoints CASCADE`],
    ['DELETE of a chain', `DELETE FROM journal_chains`],
    ['TRUNCATE of the chains', `TRUNCATE journal_chains CASCADE`],
    ['TRUNCATE of the pending entries', `TRUNCATE journal_pending`],
  ])('refuses %s', async (_what, sql) => {
    await expect(dataSource.query(sql)).rejects.toThrow(/the journal is append-only/);
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM journal_entries WHERE chain = $1`, [structureId]);
    expect(count).toBe(3);
  });

  it('refuses to update or delete a pending entry that is not sealed', async () => {
    await dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO journal_pending (id, chain, action, actor_type, details) VALUES ($1, 'national', 'aidant.signed_out', 'system', '{}')`,
        [randomUUID()],
      );
      await expect(manager.query(`UPDATE journal_pending SET action = 'aidant.signed_in'`)).rejects.toThrow(
        /the journal is append-only: UPDATE on journal_pending/,
      );
    });
    await dataSource.transaction(async (manager) => {
      const id = randomUUID();
      await manager.query(
        `INSERT INTO journal_pending (id, chain, action, actor_type, details) VALUES ($1, 'national', 'aidant.signed_out', 'system', '{}')`,
        [id],
      );
      await expect(manager.query(`DELETE FROM journal_pending WHERE id = $1`, [id])).rejects.toThrow(
        /DELETE on journal_pending is refused for an entry that is not sealed/,
      );
    });
  });
});
