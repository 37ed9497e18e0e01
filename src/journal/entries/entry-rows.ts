import type { JournalCheckpoint, SealedJournalEntry } from '../journal.types.js';

/** Columns shared by `journal_pending` and `journal_entries`, in one order. */
export const ENTRY_COLUMNS = [
  'id', 'chain', 'at', 'action', 'actor_type', 'actor_id', 'usager_id', 'mandate_id', 'aidant_id',
  'partner_id', 'demarche', 'ip', 'user_agent', 'request_id', 'details',
] as const;

export interface EntryRow {
  id: string;
  chain: string;
  at: Date;
  action: string;
  actor_type: string;
  actor_id: string | null;
  usager_id: string | null;
  mandate_id: string | null;
  aidant_id: string | null;
  partner_id: string | null;
  demarche: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export interface SealedRow extends EntryRow {
  seq: string | number;
  prev_hash: string;
  hash: string;
}

export interface CheckpointRow {
  chain: string;
  seq: string | number;
  hash: string;
  at: Date;
  kid: string;
  jws: string;
}

/** A row (sealed or not yet) as the entry the chain hashes; `seq` given for pending rows. */
export function entryOf(row: EntryRow, seq: number) {
  return {
    id: row.id,
    chain: row.chain,
    seq,
    at: row.at.toISOString(),
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id },
    subjects: { usagerId: row.usager_id, mandateId: row.mandate_id, aidantId: row.aidant_id, partnerId: row.partner_id },
    demarche: row.demarche,
    request: { ip: row.ip, userAgent: row.user_agent, requestId: row.request_id },
    details: row.details,
  };
}

export function sealedEntryOf(row: SealedRow): SealedJournalEntry {
  // Written out rather than spread: verification maps millions of rows.
  return {
    id: row.id,
    chain: row.chain,
    seq: Number(row.seq),
    at: row.at.toISOString(),
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id },
    subjects: { usagerId: row.usager_id, mandateId: row.mandate_id, aidantId: row.aidant_id, partnerId: row.partner_id },
    demarche: row.demarche,
    request: { ip: row.ip, userAgent: row.user_agent, requestId: row.request_id },
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function checkpointOf(row: CheckpointRow): JournalCheckpoint {
  return { chain: row.chain, seq: Number(row.seq), hash: row.hash, at: row.at.toISOString(), kid: row.kid, jws: row.jws };
}
