import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { createJournal, type JournalParts } from '../../src/journal/journal.factory.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { appendOne } from './journal-helpers.js';

describe('journal checkpoints: every N entries and every T seconds', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let parts: JournalParts;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url, 3)).initialize();
    await dataSource.runMigrations();
    parts = createJournal(
      dataSource,
      loadConfig({ NODE_ENV: 'test', JOURNAL_CHECKPOINT_EVERY: '5', JOURNAL_CHECKPOINT_INTERVAL_SECONDS: '1', JOURNAL_SEAL_INTERVAL_MS: '20' }),
    );
  });
  afterAll(async () => {
    await parts.sealer.stop();
    await dataSource.destroy();
    await database.drop();
  });

  const checkpointSeqs = async (chain: string): Promise<number[]> =>
    (await dataSource.query(`SELECT seq::int AS seq FROM journal_checkpoints WHERE chain = $1 ORDER BY seq`, [chain])).map(
      (r: { seq: number }) => r.seq,
    );

  it('signs a checkpoint once a chain has grown by N entries since the last one', async () => {
    const chain = randomUUID();
    for (let i = 0; i < 4; i++) await appendOne(parts.transactions, parts.journal, chain);
    await parts.journal.flush();
    expect(await checkpointSeqs(chain)).toEqual([]);
    await appendOne(parts.transactions, parts.journal, chain);
    await parts.journal.flush();
    expect(await checkpointSeqs(chain)).toEqual([5]);
  });

  it('signs a checkpoint of a chain with unsigned entries after T seconds, with the sequencer running on its own', async () => {
    const chain = randomUUID();
    await appendOne(parts.transactions, parts.journal, chain);
    parts.sealer.start();
    const started = Date.now();
    while ((await checkpointSeqs(chain)).length === 0 && Date.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await checkpointSeqs(chain)).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    const report = await parts.journal.verify({ chain });
    expect(report).toMatchObject({ ok: true, entries: 1, checkpoints: 1 });
  });
});
