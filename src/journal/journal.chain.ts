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

/** A string or null as RFC 8785 writes it (the same as ECMAScript JSON.stringify). */
function jcsString(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/**
 * RFC 8785 (JCS) canonical JSON of the hashed form: exactly
 * `canonicalize(hashedForm(entry))`, written out for the fixed envelope
 * (members already in JCS order) with the library canonicalising `details`.
 * Verification hashes millions of entries and the generic walk costs five
 * times more; a unit test holds both forms equal.
 */
export function canonicalEntry(entry: JournalEntry): string {
  const details = canonicalize(entry.details);
  if (details === undefined || !Number.isSafeInteger(entry.seq)) throw new Error('journal entry has no canonical form');
  const { actor, request, subjects } = entry;
  return (
    `{"action":${jcsString(entry.action)}` +
    `,"actor":{"id":${jcsString(actor.id)},"type":${jcsString(actor.type)}}` +
    `,"at":${jcsString(entry.at)},"chain":${jcsString(entry.chain)},"demarche":${jcsString(entry.demarche)}` +
    `,"details":${details},"id":${jcsString(entry.id)}` +
    `,"request":{"ip":${jcsString(request.ip)},"requestId":${jcsString(request.requestId)},"userAgent":${jcsString(request.userAgent)}}` +
    `,"seq":${entry.seq}` +
    `,"subjects":{"aidantId":${jcsString(subjects.aidantId)},"mandateId":${jcsString(subjects.mandateId)}` +
    `,"partnerId":${jcsString(subjects.partnerId)},"usagerId":${jcsString(subjects.usagerId)}}}`
  );
}

/** `hash = hex(SHA-256(bytes(prev_hash) ‖ UTF-8(JCS(entry))))`. */
export function chainHash(prevHash: string, entry: JournalEntry): string {
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalEntry(entry), 'utf8')
    .digest('hex');
}
