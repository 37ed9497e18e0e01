import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { JournalEntry } from './journal.types.js';

/** `prev_hash` of the first entry of every chain: 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's hash covers, and only those (no `prevHash`, `hash`). */
export function hashedForm(entry: JournalEntry): JournalEntry {
  return {
    id: entry.id,
    chain: entry.chain,
    seq: entry.seq,
    at: entry.at,
    action: entry.action,
    actor: { type: entry.actor.type, id: entry.actor.id },
    subjects: {
      usagerId: entry.subjects.usagerId,
      mandateId: entry.subjects.mandateId,
      aidantId: entry.subjects.aidantId,
      partnerId: entry.subjects.partnerId,
    },
    demarche: entry.demarche,
    request: { ip: entry.request.ip, userAgent: entry.request.userAgent, requestId: entry.request.requestId },
    details: entry.details,
  };
}

/** RFC 8785 (JCS) canonical JSON of the hashed form. */
export function canonicalEntry(entry: JournalEntry): string {
  const text = canonicalize(hashedForm(entry));
  if (text === undefined) throw new Error('journal entry has no canonical form');
  return text;
}

/** `hash = hex(SHA-256(bytes(prev_hash) ‖ UTF-8(JCS(entry))))`. */
export function chainHash(prevHash: string, entry: JournalEntry): string {
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalEntry(entry), 'utf8')
    .digest('hex');
}
