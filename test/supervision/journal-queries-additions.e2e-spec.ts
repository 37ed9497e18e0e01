import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import type { JournalAction } from '../../src/journal/journal.actions.js';
import { createJournal } from '../../src/journal/journal.factory.js';
import { sealedEntryOfCopyLine } from '../../src/journal/reading/copy-rows.js';
import { JournalQueries } from '../../src/journal/reading/journal-queries.js';
import { USE_COUNTS_BACKFILL } from '../../migrations/1765100000000-journal-use-counts.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The query capabilities supervision added to JournalQueries, on a real database. */
describe('journal queries used by supervision', () => {
  let database: TestDatabase;
  let parts: ReturnType<typeof createJournal>;
  let dataSource: DataSource;
  const queries = new JournalQueries();
  const chain = randomUUID();
  const other = randomUUID();
  const [alice, bob] = [randomUUID(), randomUUID()];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url, 3)).initialize();
    await dataSource.runMigrations();
    parts = createJournal(dataSource, loadConfig({ NODE_ENV: 'test' }));
    const { journal, transactions } = parts;
    // 10 entries in `chain`: uses on even seqs (partner p-a on seq 2, 6, 10; p-b otherwise), sign-ins on odd ones.
    for (let i = 1; i <= 10; i++) {
      await transactions.run((m) =>
        journal.append(m, {
          action: (i % 2 === 0 ? 'autorisation.used' : 'aidant.signed_in') as JournalAction,
          structureId: chain,
          actor: { type: 'aidant', id: i <= 6 ? alice : bob },
          subjects: { partnerId: i % 2 === 0 ? (i % 4 === 2 ? 'p-a' : 'p-b') : null },
          demarche: i % 2 === 0 ? (i <= 4 ? 'logement' : 'social') : null,
          details: { method: 'password+totp' },
        }),
      );
    }
    await transactions.run((m) =>
      journal.append(m, { action: 'aidant.signed_in', structureId: other, actor: { type: 'aidant', id: alice }, details: { method: 'password+totp' } }),
    );
    await journal.flush();
    await journal.checkpoint([chain]);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('pages a chain by seq, in order, within a fixed range, with optional criteria', async () => {
    const m = dataSource.manager;
    expect((await queries.bySeq(m, chain, { after: 0, upTo: 10, limit: 4 })).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect((await queries.bySeq(m, chain, { after: 4, upTo: 7, limit: 100 })).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect((await queries.bySeq(m, chain, { after: 0, upTo: 10, limit: 100 }, { partnerId: 'p-a' })).map((e) => e.seq)).toEqual([2, 6, 10]);
    expect((await queries.bySeq(m, chain, { after: 0, upTo: 10, limit: 100 }, { actor: { type: 'aidant', id: bob }, demarche: 'social' })).map((e) => e.seq)).toEqual([8, 10]);
  });

  it('lists the usagers a chain is about, and filters by several usagers', async () => {
    const third = randomUUID();
    const [u1, u2, u3] = [randomUUID(), randomUUID(), randomUUID()];
    for (const usagerId of [u1, u2, u1, u3]) {
      await parts.transactions.run((m) =>
        parts.journal.append(m, { action: 'aidant.signed_in', structureId: third, actor: { type: 'system', id: null }, subjects: { usagerId }, details: { method: 'password+totp' } }),
      );
    }
    await parts.journal.flush();
    expect((await queries.usagerIdsOf(dataSource.manager, third)).sort()).toEqual([u1, u2, u3].sort());
    expect(await queries.usagerIdsOf(dataSource.manager, chain)).toEqual([]);
    const stranger = randomUUID();
    expect((await queries.usagersAmong(dataSource.manager, third, [u3, stranger, u1, u3])).sort()).toEqual([u1, u3].sort());
    expect(await queries.usagersAmong(dataSource.manager, chain, [u1])).toEqual([]);
    expect(await queries.usagersAmong(dataSource.manager, third, [])).toEqual([]);
    expect((await queries.find(dataSource.manager, { chain: third, usagerIds: [u1, u3] })).entries.map((e) => e.seq)).toEqual([4, 3, 1]);
    expect((await queries.find(dataSource.manager, { chain: third, usagerIds: [] })).entries).toEqual([]);
    expect((await queries.bySeq(dataSource.manager, third, { after: 0, upTo: 4, limit: 10 }, { usagerIds: [u2] })).map((e) => e.seq)).toEqual([2]);
  });

  it('filters keyset pages by partner', async () => {
    const page = await queries.find(dataSource.manager, { chain, partnerId: 'p-b' });
    expect(page.entries.map((e) => e.seq)).toEqual([8, 4]);
  });

  it('finds an entry by seq, the head, and the checkpoints', async () => {
    const m = dataSource.manager;
    expect((await queries.entryAt(m, chain, 3))?.seq).toBe(3);
    expect(await queries.entryAt(m, chain, 11)).toBeNull();
    expect(await queries.entryAt(m, chain, 0)).toBeNull();
    expect(await queries.headSeq(m, chain)).toBe(10);
    expect(await queries.headSeq(m, randomUUID())).toBe(0);
    expect(await queries.lastCheckpoint(m, chain)).toMatchObject({ chain, seq: 10 });
    expect(await queries.lastCheckpoint(m, other)).toBeNull();
    expect((await queries.checkpointsBetween(m, chain, 0, 10)).map((c) => c.seq)).toEqual([10]);
    expect(await queries.checkpointsBetween(m, chain, 0, 9)).toEqual([]);
  });

  it('counts uses per démarche and month, partners used, and each actor’s last activity in the chain', async () => {
    const m = dataSource.manager;
    const month = new Date().toISOString().slice(0, 7);
    const since = new Date(Date.now() - 86_400_000);
    expect(await queries.countByDemarcheAndMonth(m, chain, 'autorisation.used', since)).toEqual([
      { demarche: 'logement', month, count: 2 },
      { demarche: 'social', month, count: 3 },
    ]);
    expect((await queries.partnersOf(m, chain, 'autorisation.used', since)).map(({ partnerId, count }) => [partnerId, count])).toEqual([
      ['p-a', 3],
      ['p-b', 2],
    ]);
    const counts = await queries.countActions(m, chain, ['autorisation.used', 'aidant.signed_in', 'mandate.expired'], since);
    expect(Object.fromEntries(counts)).toEqual({ 'autorisation.used': 5, 'aidant.signed_in': 5, 'mandate.expired': 0 });
    expect((await queries.countActions(m, chain, ['autorisation.used'], new Date(Date.now() + 60_000))).get('autorisation.used')).toBe(0);
    const last = await queries.lastActivity(m, chain, 'aidant', [alice, bob, randomUUID()]);
    expect([...last.keys()].sort()).toEqual([alice, bob].sort());
    const [tenth] = (await queries.bySeq(m, chain, { after: 9, upTo: 10, limit: 1 }));
    expect(last.get(bob)).toBe(tenth!.at);
  });

  it('keeps the uses counted as they are appended: the same answers as counting the journal, rolled-back uses left out', async () => {
    const m = dataSource.manager;
    const since = new Date(`${new Date().toISOString().slice(0, 7)}-01T00:00:00.000Z`);
    await expect(
      parts.transactions.run(async (tx) => {
        await parts.journal.append(tx, {
          action: 'autorisation.used', structureId: chain, actor: { type: 'aidant', id: alice },
          subjects: { partnerId: 'p-a' }, demarche: 'logement', details: {} as never,
        });
        throw new Error('the use fails after its journal entry');
      }),
    ).rejects.toThrow('the use fails');
    await parts.journal.flush();
    expect(await queries.useCountsByDemarcheAndMonth(m, chain, since)).toEqual(await queries.countByDemarcheAndMonth(m, chain, 'autorisation.used', since));
    expect(await queries.usePartners(m, chain, since)).toEqual(await queries.partnersOf(m, chain, 'autorisation.used', since));
    expect(await queries.useCountsByDemarcheAndMonth(m, other, since)).toEqual([]);
    // A use without démarche nor partner is counted under '' and shown as null, as the journal has it.
    const fourth = randomUUID();
    await parts.transactions.run((tx) =>
      parts.journal.append(tx, { action: 'autorisation.used', structureId: fourth, actor: { type: 'system', id: null }, details: {} as never }),
    );
    await parts.journal.flush();
    expect(await queries.useCountsByDemarcheAndMonth(m, fourth, since)).toEqual(await queries.countByDemarcheAndMonth(m, fourth, 'autorisation.used', since));
    expect(await queries.usePartners(m, fourth, since)).toEqual([]);
  });

  it('backfills the kept counts from the journal exactly as the trigger kept them', async () => {
    const kept = await dataSource.query(`SELECT * FROM journal_use_counts ORDER BY chain, month, demarche, partner_id`);
    expect(kept.length).toBeGreaterThan(0);
    await dataSource.transaction(async (tx) => {
      await tx.query(`DELETE FROM journal_use_counts`);
      await tx.query(USE_COUNTS_BACKFILL);
      expect(await tx.query(`SELECT * FROM journal_use_counts ORDER BY chain, month, demarche, partner_id`)).toEqual(kept);
    });
  });

  it('reads a chain by seq through COPY with the same criteria and entries as bySeq', async () => {
    const filters = [{}, { partnerId: 'p-a' }, { actor: { type: 'aidant' as const, id: bob }, demarche: 'social' }, { usagerIds: [] }, { from: new Date(0), to: new Date(Date.now() + 60_000) }];
    for (const filter of filters) {
      const lines = await dataSource.transaction((tx) => queries.bySeqAsCopyLines(tx, chain, { after: 1, upTo: 9, limit: 100 }, filter));
      expect(lines.map(sealedEntryOfCopyLine)).toEqual(await queries.bySeq(dataSource.manager, chain, { after: 1, upTo: 9, limit: 100 }, filter));
    }
    const quoted = await dataSource.transaction((tx) => queries.bySeqAsCopyLines(tx, chain, { after: 0, upTo: 10, limit: 3 }, { partnerId: "p-a' OR 'x' = 'x" }));
    expect(quoted).toEqual([]);
    await expect(queries.bySeqAsCopyLines(dataSource.manager, chain, { after: 0, upTo: 10, limit: 3 })).rejects.toThrow('inside a transaction');
  });
});
