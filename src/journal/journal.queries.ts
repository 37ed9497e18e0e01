import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ValidationError } from '../shared/domain-error.js';
import { ENTRY_COLUMNS, sealedEntryOf, type SealedRow } from './journal.rows.js';
import type { ActorType, SealedJournalEntry } from './journal.types.js';

/** What to look for; every criterion given must hold. */
export interface JournalFilter {
  chain?: string;
  /** Period, `from` included, `to` excluded. */
  from?: Date;
  to?: Date;
  action?: string;
  actor?: { type: ActorType; id: string };
  usagerId?: string;
  mandateId?: string;
  aidantId?: string;
  demarche?: string;
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
    if (filter.from) where.push(`at >= ${bind(filter.from)}`);
    if (filter.to) where.push(`at < ${bind(filter.to)}`);
    if (filter.action !== undefined) where.push(`action = ${bind(filter.action)}`);
    if (filter.actor) where.push(`actor_type = ${bind(filter.actor.type)} AND actor_id = ${bind(filter.actor.id)}`);
    if (filter.usagerId !== undefined) where.push(`usager_id = ${bind(filter.usagerId)}`);
    if (filter.mandateId !== undefined) where.push(`mandate_id = ${bind(filter.mandateId)}`);
    if (filter.aidantId !== undefined) where.push(`aidant_id = ${bind(filter.aidantId)}`);
    if (filter.demarche !== undefined) where.push(`demarche = ${bind(filter.demarche)}`);
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
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (
      typeof cursor.at === 'string' && !Number.isNaN(Date.parse(cursor.at)) &&
      typeof cursor.id === 'string' && /^[0-9a-f-]{36}$/i.test(cursor.id)
    ) {
      return cursor;
    }
  } catch {
    // fall through
  }
  throw new ValidationError({ page: 'Le lien vers la page suivante du journal est invalide.' }, 'invalid journal page cursor');
}
