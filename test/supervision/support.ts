import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import type { JournalEvent } from '../../src/journal/journal.types.js';
import type { JournalAction } from '../../src/journal/journal.actions.js';
import type { TestApp } from '../support/test-app.js';

/** Appends events through the real JournalService (one transaction each) and seals them. */
export async function appendHistory(t: TestApp, events: ReadonlyArray<JournalEvent<JournalAction>>): Promise<void> {
  const journal = t.app.get(JournalService);
  const transactions = t.app.get(TransactionRunner);
  for (const event of events) await transactions.run((manager) => journal.append(manager, event));
  await journal.flush();
}

/** What a database superuser can do: change a sealed row with the append-only triggers off. */
export async function tamper(t: TestApp, sql: string, params: unknown[] = []): Promise<void> {
  await t.app.get(DataSource).transaction(async (manager) => {
    await manager.query(`SET LOCAL session_replication_role = replica`);
    await manager.query(sql, params);
  });
}

/** Sealed entries of a chain, newest first, as the database holds them. */
export async function chainRows(t: TestApp, chain: string): Promise<Array<{ seq: string; action: string; details: Record<string, unknown> }>> {
  await t.app.get(JournalService).flush();
  return t.app.get(DataSource).query(`SELECT seq, action, details FROM journal_entries WHERE chain = $1 ORDER BY seq DESC`, [chain]);
}

/** Sequence numbers of a chain in the order of the journal pages: newest first by (at, id). */
export async function pageOrder(t: TestApp, chain: string): Promise<number[]> {
  await t.app.get(JournalService).flush();
  const rows: { seq: string }[] = await t.app.get(DataSource).query(`SELECT seq FROM journal_entries WHERE chain = $1 ORDER BY at DESC, id DESC`, [chain]);
  return rows.map((r) => Number(r.seq));
}
