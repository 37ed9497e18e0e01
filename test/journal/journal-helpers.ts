import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { JournalService } from '../../src/journal/journal.service.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { chainHash, GENESIS_HASH, merkleLeaf, requestCommitment } from '../../src/journal/entries/hash-chain.js';
import { ENTRY_COLUMNS, entryOf, type SealedRow } from '../../src/journal/entries/entry-rows.js';

/** Appends one `aidant.signed_in` event in its own transaction. */
export function appendOne(transactions: TransactionRunner, journal: JournalService, structureId: string | null) {
  const aidantId = randomUUID();
  return transactions.run((manager) =>
    journal.append(manager, {
      action: 'aidant.signed_in',
      structureId,
      actor: { type: 'aidant', id: aidantId },
      subjects: { aidantId },
      request: { ip: '192.0.2.1', userAgent: 'jest', requestId: randomUUID() },
      details: { method: 'password+totp' },
    }),
  );
}

export async function sealedRows(dataSource: DataSource, chain: string): Promise<(SealedRow & { salt: Buffer | null })[]> {
  return dataSource.query(
    `SELECT ${ENTRY_COLUMNS.map((c) => `e.${c}`).join(', ')}, e.seq, e.prev_hash, e.hash, s.salt
       FROM journal_entries e LEFT JOIN journal_request_salts s ON s.chain = e.chain AND s.seq = e.seq
      WHERE e.chain = $1 ORDER BY e.seq`,
    [chain],
  );
}

/** A sealed row's leaf in its chain's tree (docs/decisions/0109), from its stored salt. */
export function leafOfRow(row: SealedRow & { salt: Buffer | null }): Buffer {
  if (!row.salt) throw new Error(`entry ${row.chain}:${row.seq} has no request salt`);
  const entry = entryOf(row, Number(row.seq));
  return merkleLeaf(entry, requestCommitment(row.salt, entry.request));
}

/** Independent check of a chain (seq from 1 without gaps, every hash recomputed). */
export function chainProblems(rows: SealedRow[]): string[] {
  const problems: string[] = [];
  let prev = GENESIS_HASH;
  rows.forEach((row, index) => {
    const seq = Number(row.seq);
    if (seq !== index + 1) problems.push(`seq ${seq} at position ${index + 1}`);
    if (row.prev_hash !== prev) problems.push(`prev_hash of ${seq}`);
    if (chainHash(row.prev_hash, entryOf(row, seq)) !== row.hash) problems.push(`hash of ${seq}`);
    prev = row.hash;
  });
  return problems;
}
