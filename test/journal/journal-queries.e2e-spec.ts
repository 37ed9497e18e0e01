import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { createJournal } from '../../src/journal/journal.factory.js';
import { JournalQueries, type JournalFilter } from '../../src/journal/reading/journal-queries.js';
import type { SealedJournalEntry } from '../../src/journal/journal.types.js';
import { ValidationError } from '../../src/shared/domain-error.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('journal queries (keyset pages, newest first)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const queries = new JournalQueries();
  const structures = [randomUUID(), randomUUID()];
  const usagers = [randomUUID(), randomUUID()];
  const mandate = randomUUID();
  const aidant = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url, 3)).initialize();
    await dataSource.runMigrations();
    const { journal, transactions } = createJournal(dataSource, loadConfig({ NODE_ENV: 'test' }));
    // 24 events: alternating structures, usagers, actions; one mandate and démarche on every third.
    for (let i = 0; i < 24; i++) {
      await transactions.run((manager) =>
        journal.append(manager, {
          action: i % 2 === 0 ? 'aidant.signed_in' : 'aidant.signed_out',
          structureId: structures[i % 2]!,
          actor: { type: i % 4 === 0 ? 'aidant' : 'system', id: i % 4 === 0 ? aidant : null },
          subjects: { usagerId: usagers[i % 3 === 0 ? 0 : 1], mandateId: i % 3 === 0 ? mandate : null, aidantId: aidant },
          demarche: i % 3 === 0 ? 'logement' : null,
          details: i % 2 === 0 ? { method: 'password+totp' } : ({ reason: 'user' } as never),
        }),
      );
      if (i % 6 === 5) await journal.flush();
    }
    await journal.flush();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  async function allPages(filter: JournalFilter, limit: number): Promise<{ entries: SealedJournalEntry[]; pages: number }> {
    const entries: SealedJournalEntry[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page = await queries.find(dataSource.manager, filter, { limit, after });
      entries.push(...page.entries);
      after = page.next;
      pages++;
    } while (after);
    return { entries, pages };
  }

  it.each<[string, JournalFilter, number]>([
    ['everything', {}, 24],
    ['a chain', { chain: structures[0]! }, 12],
    ['a chain and an action', { chain: structures[1]!, action: 'aidant.signed_out' }, 12],
    ['an action', { action: 'aidant.signed_in' }, 12],
    ['an actor', { actor: { type: 'aidant', id: aidant } }, 6],
    ['a usager', { usagerId: usagers[0]! }, 8],
    ['a mandate', { mandateId: mandate }, 8],
    ['an aidant as subject', { aidantId: aidant }, 24],
    ['a démarche within a chain', { chain: structures[0]!, demarche: 'logement' }, 4],
    ['a period that holds everything', { from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 3600_000) }, 24],
    ['a period in the future', { from: new Date(Date.now() + 3600_000) }, 0],
  ])('finds by %s, page after page without repeats or gaps', async (_what, filter, expected) => {
    const { entries, pages } = await allPages(filter, 5);
    expect(entries).toHaveLength(expected);
    expect(new Set(entries.map((e) => e.id)).size).toBe(expected);
    expect(pages).toBe(Math.max(1, Math.ceil(expected / 5)));
    const keys = entries.map((e) => `${e.at}|${e.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
  });

  it('refuses a forged page cursor with a validation error', async () => {
    await expect(queries.find(dataSource.manager, {}, { after: 'not-a-cursor' })).rejects.toBeInstanceOf(ValidationError);
  });
});
