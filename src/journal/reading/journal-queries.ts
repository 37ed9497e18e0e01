import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import { ValidationError } from '../../shared/domain-error.js';
import { COPY_COLUMNS, copyLines } from './copy-rows.js';
import { checkpointOf, ENTRY_COLUMNS, sealedEntryOf, type CheckpointRow, type SealedRow } from '../entries/entry-rows.js';
import type { ActorType, JournalCheckpoint, SealedJournalEntry } from '../journal.types.js';

/** What to look for; every criterion given must hold. */
export interface JournalFilter {
  chain?: string;
  /** Period, `from` included, `to` excluded. */
  from?: Date;
  to?: Date;
  action?: string;
  actor?: { type: ActorType; id: string };
  usagerId?: string;
  /** Any of these usagers (an empty list matches nothing). */
  usagerIds?: readonly string[];
  mandateId?: string;
  aidantId?: string;
  demarche?: string;
  partnerId?: string;
}

export interface JournalPage {
  /** Newest first. */
  entries: SealedJournalEntry[];
  /** Cursor of the next (older) page, or `null` at the end. */
  next: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

interface Cursor {
  at: string;
  id: string;
}

/**
 * Questions asked of the sealed journal (supervision and usager pages),
 * newest first, keyset-paginated on (at, id) so that a page costs the same
 * deep in the journal as at its top. Each criterion has its index
 * (migration 1764100000000). Entries still pending (sealed within a second)
 * are not shown.
 */
@Injectable()
export class JournalQueries {
  async find(
    manager: EntityManager,
    filter: JournalFilter,
    page: { limit?: number; after?: string | null } = {},
  ): Promise<JournalPage> {
    const limit = Math.min(Math.max(1, page.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown) => `$${params.push(value)}`;
    if (filter.chain !== undefined) where.push(`chain = ${bind(filter.chain)}`);
    where.push(...criteriaOf(filter, bind));
    if (page.after) {
      const cursor = decodeCursor(page.after);
      where.push(`(at, id) < (${bind(cursor.at)}::timestamptz, ${bind(cursor.id)}::uuid)`);
    }
    const rows: SealedRow[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS.join(', ')}, seq, prev_hash, hash FROM journal_entries
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, id DESC LIMIT ${limit + 1}`,
      params,
    );
    const entries = rows.slice(0, limit).map(sealedEntryOf);
    const last = entries.at(-1);
    return { entries, next: rows.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null };
  }

  /**
   * Entries of one chain in seq order, `after` < seq <= `upTo`, at most
   * `limit` (keyset on seq: exports and verification stream a chain page by
   * page in constant memory). Other criteria of `filter` narrow the page; an
   * empty page means the range is exhausted only when `filter` has none.
   */
  async bySeq(
    manager: EntityManager,
    chain: string,
    range: { after: number; upTo: number; limit: number },
    filter: Omit<JournalFilter, 'chain'> = {},
  ): Promise<SealedJournalEntry[]> {
    const where: string[] = ['chain = $1', 'seq > $2', 'seq <= $3'];
    const params: unknown[] = [chain, range.after, range.upTo];
    const bind = (value: unknown) => `$${params.push(value)}`;
    where.push(...criteriaOf(filter, bind));
    const limit = Math.max(1, Math.floor(range.limit));
    const rows: SealedRow[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS.join(', ')}, seq, prev_hash, hash FROM journal_entries
        WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${limit}`,
      params,
    );
    return rows.map(sealedEntryOf);
  }

  /**
   * `bySeq` read through `COPY (SELECT …) TO STDOUT`: the entries as text
   * lines in `COPY_COLUMNS` order (reading/copy-rows.ts parses them), without the
   * driver's per-row work, for exports of millions of rows. COPY takes no
   * parameters: values are written as literals by the driver's own quoting,
   * numbers are checked integers. Runs inside a transaction of `manager`.
   */
  async bySeqAsCopyLines(
    manager: EntityManager,
    chain: string,
    range: { after: number; upTo: number; limit: number },
    filter: Omit<JournalFilter, 'chain'> = {},
  ): Promise<string[]> {
    const { after, upTo, limit } = range;
    if (![after, upTo, limit].every(Number.isSafeInteger) || limit < 1) throw new Error('journal page bounds are not integers');
    if (!manager.queryRunner?.isTransactionActive) throw new Error('bySeqAsCopyLines runs inside a transaction');
    const client = (await manager.queryRunner.connect()) as PoolClient;
    const literal = (value: unknown): string =>
      value instanceof Date ? `${client.escapeLiteral(value.toISOString())}::timestamptz`
        : Array.isArray(value) ? `ARRAY[${value.map((v) => client.escapeLiteral(String(v))).join(', ')}]::text[]`
          : client.escapeLiteral(String(value));
    const where = [`chain = ${literal(chain)}`, `seq > ${after}`, `seq <= ${upTo}`, ...criteriaOf(filter, literal)];
    const sql = `COPY (SELECT ${COPY_COLUMNS.join(', ')} FROM journal_entries WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ${limit}) TO STDOUT`;
    // Read in flowing mode: a page is bounded, and pausing the stream at every
    // small buffer would make the server wait on this process between chunks.
    const chunks: Buffer[] = [];
    const stream = client.query(copyTo(sql));
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    return copyLines(chunks);
  }

  /** One sealed entry of a chain by its seq, or `null`. */
  async entryAt(manager: EntityManager, chain: string, seq: number): Promise<SealedJournalEntry | null> {
    if (!Number.isSafeInteger(seq) || seq < 1) return null;
    const rows: SealedRow[] = await manager.query(
      `SELECT ${ENTRY_COLUMNS.join(', ')}, seq, prev_hash, hash FROM journal_entries WHERE chain = $1 AND seq = $2`,
      [chain, seq],
    );
    return rows[0] ? sealedEntryOf(rows[0]) : null;
  }

  /** The last sealed seq of a chain (0 when it has none). */
  async headSeq(manager: EntityManager, chain: string): Promise<number> {
    const rows: { seq: string }[] = await manager.query(
      `SELECT seq FROM journal_entries WHERE chain = $1 ORDER BY seq DESC LIMIT 1`,
      [chain],
    );
    return Number(rows[0]?.seq ?? 0);
  }

  /** Signed checkpoints of a chain with `after` < seq <= `upTo`, in seq order. */
  async checkpointsBetween(manager: EntityManager, chain: string, after: number, upTo: number): Promise<JournalCheckpoint[]> {
    const rows: CheckpointRow[] = await manager.query(
      `SELECT chain, seq, hash, at, kid, jws FROM journal_checkpoints
        WHERE chain = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
      [chain, after, upTo],
    );
    return rows.map(checkpointOf);
  }

  /** The chain's latest signed checkpoint, or `null`. */
  async lastCheckpoint(manager: EntityManager, chain: string): Promise<JournalCheckpoint | null> {
    const rows: CheckpointRow[] = await manager.query(
      `SELECT chain, seq, hash, at, kid, jws FROM journal_checkpoints WHERE chain = $1 ORDER BY seq DESC LIMIT 1`,
      [chain],
    );
    return rows[0] ? checkpointOf(rows[0]) : null;
  }

  /**
   * How many entries of `action` a chain has per démarche and per month
   * (`YYYY-MM`, UTC) since `since`, for the structure dashboard.
   */
  async countByDemarcheAndMonth(
    manager: EntityManager,
    chain: string,
    action: string,
    since: Date,
  ): Promise<Array<{ demarche: string | null; month: string; count: number }>> {
    const rows: { demarche: string | null; month: string; count: string }[] = await manager.query(
      `SELECT demarche, to_char(date_trunc('month', at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, count(*) AS count
         FROM journal_entries WHERE chain = $1 AND action = $2 AND at >= $3
        GROUP BY 1, 2 ORDER BY 2, 1`,
      [chain, action, since],
    );
    return rows.map((r) => ({ demarche: r.demarche, month: r.month, count: Number(r.count) }));
  }

  /** The distinct usagers a chain's entries are about (to find a usager of the structure by name). */
  async usagerIdsOf(manager: EntityManager, chain: string): Promise<string[]> {
    // An index-only scan of journal_entries_chain_usager_idx (migration 1765100000001), not of the chain's entries.
    const rows: { usager_id: string }[] = await manager.query(
      `SELECT DISTINCT usager_id FROM journal_entries WHERE chain = $1 AND usager_id IS NOT NULL`,
      [chain],
    );
    return rows.map((r) => r.usager_id);
  }

  /** Those of these usager ids that some entry of the chain is about: one probe of journal_entries_chain_usager_idx per id. */
  async usagersAmong(manager: EntityManager, chain: string, usagerIds: readonly string[]): Promise<string[]> {
    if (usagerIds.length === 0) return [];
    const rows: { usager_id: string }[] = await manager.query(
      `SELECT u.usager_id FROM unnest($2::text[]) AS u(usager_id)
        WHERE EXISTS (SELECT 1 FROM journal_entries j WHERE j.chain = $1 AND j.usager_id = u.usager_id)`,
      [chain, [...new Set(usagerIds)]],
    );
    return rows.map((r) => r.usager_id);
  }

  /** How many entries of each of these actions a chain has since `since` (actions without entries count 0). */
  async countActions(manager: EntityManager, chain: string, actions: readonly string[], since: Date): Promise<Map<string, number>> {
    const rows: { action: string; count: string }[] = await manager.query(
      `SELECT action, count(*) AS count FROM journal_entries
        WHERE chain = $1 AND action = ANY($2::text[]) AND at >= $3 GROUP BY action`,
      [chain, [...actions], since],
    );
    const counts = new Map(actions.map((a) => [a, 0]));
    for (const r of rows) counts.set(r.action, Number(r.count));
    return counts;
  }

  /** Partner ids that entries of `action` in a chain name since `since`, with counts and last use. */
  async partnersOf(
    manager: EntityManager,
    chain: string,
    action: string,
    since: Date,
  ): Promise<Array<{ partnerId: string; count: number; lastAt: string }>> {
    const rows: { partner_id: string; count: string; last_at: Date }[] = await manager.query(
      `SELECT partner_id, count(*) AS count, max(at) AS last_at FROM journal_entries
        WHERE chain = $1 AND action = $2 AND at >= $3 AND partner_id IS NOT NULL
        GROUP BY partner_id ORDER BY count(*) DESC, partner_id`,
      [chain, action, since],
    );
    return rows.map((r) => ({ partnerId: r.partner_id, count: Number(r.count), lastAt: r.last_at.toISOString() }));
  }

  /**
   * `countByDemarcheAndMonth` for `autorisation.used`, from the counts the
   * database keeps as uses are appended (migration 1765100000000): the same
   * answer for a month-aligned `since`, at the cost of a few rows per month.
   */
  async useCountsByDemarcheAndMonth(
    manager: EntityManager,
    chain: string,
    since: Date,
  ): Promise<Array<{ demarche: string | null; month: string; count: number }>> {
    const rows: { demarche: string; month: string; count: string }[] = await manager.query(
      `SELECT demarche, to_char(month, 'YYYY-MM') AS month, sum(uses) AS count FROM journal_use_counts
        WHERE chain = $1 AND month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date
        GROUP BY 1, 2 ORDER BY 2, nullif(demarche, '')`,
      [chain, since],
    );
    return rows.map((r) => ({ demarche: r.demarche === '' ? null : r.demarche, month: r.month, count: Number(r.count) }));
  }

  /** `partnersOf` for `autorisation.used`, from the kept counts (month-aligned `since`). */
  async usePartners(manager: EntityManager, chain: string, since: Date): Promise<Array<{ partnerId: string; count: number; lastAt: string }>> {
    const rows: { partner_id: string; count: string; last_at: Date }[] = await manager.query(
      `SELECT partner_id, sum(uses) AS count, max(last_at) AS last_at FROM journal_use_counts
        WHERE chain = $1 AND month >= date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')::date AND partner_id <> ''
        GROUP BY partner_id ORDER BY sum(uses) DESC, partner_id`,
      [chain, since],
    );
    return rows.map((r) => ({ partnerId: r.partner_id, count: Number(r.count), lastAt: r.last_at.toISOString() }));
  }

  /** The time of each actor's latest entry in a chain (actors without entries are absent). */
  async lastActivity(manager: EntityManager, chain: string, actorType: ActorType, actorIds: readonly string[]): Promise<Map<string, string>> {
    if (actorIds.length === 0) return new Map();
    const rows: { actor_id: string; at: Date }[] = await manager.query(
      `SELECT a.actor_id, l.at FROM unnest($3::text[]) AS a(actor_id)
         JOIN LATERAL (SELECT at FROM journal_entries e
                        WHERE e.actor_type = $2 AND e.actor_id = a.actor_id AND e.chain = $1
                        ORDER BY at DESC, id DESC LIMIT 1) l ON true`,
      [chain, actorType, [...actorIds]],
    );
    return new Map(rows.map((r) => [r.actor_id, r.at.toISOString()]));
  }
}

/** The criteria of a filter other than its chain, as SQL conditions; `bind` writes a value (parameter or literal). */
function criteriaOf(filter: Omit<JournalFilter, 'chain'>, bind: (value: unknown) => string): string[] {
  const where: string[] = [];
  if (filter.from) where.push(`at >= ${bind(filter.from)}`);
  if (filter.to) where.push(`at < ${bind(filter.to)}`);
  if (filter.action !== undefined) where.push(`action = ${bind(filter.action)}`);
  if (filter.actor) where.push(`actor_type = ${bind(filter.actor.type)} AND actor_id = ${bind(filter.actor.id)}`);
  if (filter.usagerId !== undefined) where.push(`usager_id = ${bind(filter.usagerId)}`);
  if (filter.usagerIds !== undefined) where.push(`usager_id = ANY(${bind([...filter.usagerIds])}::text[])`);
  if (filter.mandateId !== undefined) where.push(`mandate_id = ${bind(filter.mandateId)}`);
  if (filter.aidantId !== undefined) where.push(`aidant_id = ${bind(filter.aidantId)}`);
  if (filter.demarche !== undefined) where.push(`demarche = ${bind(filter.demarche)}`);
  if (filter.partnerId !== undefined) where.push(`partner_id = ${bind(filter.partnerId)}`);
  return where;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** What `encodeCursor` writes: `at` as `Date.toISOString()` gives it, `id` a UUID, nothing else. */
const CURSOR_MAX_LENGTH = 200;
const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CURSOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A cursor comes back from a link, so anyone can craft one: only what
 * `encodeCursor` could have written is accepted, so that PostgreSQL never
 * meets a date or an id it would refuse (a 500 otherwise).
 */
function isCursor(value: unknown): value is Cursor {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const { at, id, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof at !== 'string' || typeof id !== 'string') return false;
  // A real instant written back identically (no 30 February), not before 1970.
  const time = Date.parse(at);
  return CURSOR_AT.test(at) && time >= 0 && new Date(time).toISOString() === at && CURSOR_ID.test(id);
}

function decodeCursor(text: string): Cursor {
  if (text.length <= CURSOR_MAX_LENGTH && /^[A-Za-z0-9_-]+$/.test(text)) {
    try {
      const cursor: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      if (isCursor(cursor)) return cursor;
    } catch {
      // fall through: not JSON
    }
  }
  throw new ValidationError({ page: 'Le lien vers la page suivante du journal est invalide.' }, 'invalid journal page cursor');
}
