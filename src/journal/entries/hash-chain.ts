import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { JournalEntry } from '../journal.types.js';

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

/** Characters JSON.stringify escapes (quote, backslash, controls, surrogates): absent from ids, hashes, dates. */
// eslint-disable-next-line no-control-regex -- the control characters are exactly what JSON escapes
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A string or null as RFC 8785 writes it (the same as ECMAScript
 * JSON.stringify): quoted as is when nothing in it needs escaping, which
 * costs half of JSON.stringify and is the case of nearly every member.
 */
function jcsString(value: string | null): string {
  if (value === null) return 'null';
  return ESCAPED.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** Thrown inside `jcsValue` when a value is not plain JSON: the library then decides. */
const NOT_PLAIN = Symbol('not plain JSON');
const SURROGATE = /[\ud800-\udfff]/;
const MAX_DEPTH = 64;

/**
 * RFC 8785 of a value made of JSON.parse's output only (plain objects and
 * arrays, strings without surrogates, finite numbers, booleans, null);
 * throws NOT_PLAIN on anything else (undefined, toJSON, prototypes, NaN,
 * surrogates, deep nesting) so the generic library handles the rare case,
 * including its errors.
 */
function jcsValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (SURROGATE.test(value)) throw NOT_PLAIN;
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth > MAX_DEPTH) throw NOT_PLAIN;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + jcsValue(value[i], depth + 1);
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        throw NOT_PLAIN;
      }
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const member = object[key];
        if (member === undefined || SURROGATE.test(key)) throw NOT_PLAIN;
        out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${jcsValue(member, depth + 1)}`;
      }
      return `${out}}`;
    }
    default:
      throw NOT_PLAIN;
  }
}

/** `canonicalize(details)`: the fast walk for plain JSON, else the library. */
function canonicalDetails(details: unknown): string | undefined {
  try {
    return jcsValue(details, 0);
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    return canonicalize(details);
  }
}

/**
 * RFC 8785 (JCS) canonical JSON of the hashed form: exactly
 * `canonicalize(hashedForm(entry))`, written out for the fixed envelope
 * (members already in JCS order) and a plain-JSON walk of `details` (the
 * library for anything else). Verification hashes millions of entries and
 * the generic walk costs several times more; a unit test holds both forms
 * equal over every shape.
 */
export function canonicalEntry(entry: JournalEntry): string {
  return canonicalWith(entry, canonicalRequest(entry.request));
}

/** RFC 8785 of the request facts alone: `{"ip":…,"requestId":…,"userAgent":…}`. */
export function canonicalRequest(request: JournalEntry['request']): string {
  return `{"ip":${jcsString(request.ip)},"requestId":${jcsString(request.requestId)},"userAgent":${jcsString(request.userAgent)}}`;
}

/** The canonical form with `requestJson` (already canonical) as the value of `request`. */
function canonicalWith(entry: Omit<JournalEntry, 'request'>, requestJson: string): string {
  const details = canonicalDetails(entry.details);
  if (details === undefined || !Number.isSafeInteger(entry.seq)) throw new Error('journal entry has no canonical form');
  const { actor, subjects } = entry;
  return (
    `{"action":${jcsString(entry.action)}` +
    `,"actor":{"id":${jcsString(actor.id)},"type":${jcsString(actor.type)}}` +
    `,"at":${jcsString(entry.at)},"chain":${jcsString(entry.chain)},"demarche":${jcsString(entry.demarche)}` +
    `,"details":${details},"id":${jcsString(entry.id)}` +
    `,"request":${requestJson}` +
    `,"seq":${entry.seq}` +
    `,"subjects":{"aidantId":${jcsString(subjects.aidantId)},"mandateId":${jcsString(subjects.mandateId)}` +
    `,"partnerId":${jcsString(subjects.partnerId)},"usagerId":${jcsString(subjects.usagerId)}}}`
  );
}

/** Bytes of the random salt of an entry's request commitment. */
export const REQUEST_SALT_BYTES = 16;
const COMMITMENT = /^[0-9a-f]{64}$/;

/**
 * The commitment to an entry's request facts (docs/decisions/0109):
 * lowercase hex of `SHA-256(salt ‖ UTF-8(JCS(request)))`, the salt being
 * the entry's 16 random bytes. Without the salt, the facts cannot be found
 * back by trying every IP address and common user agent.
 */
export function requestCommitment(salt: Buffer, request: JournalEntry['request']): string {
  if (salt.length !== REQUEST_SALT_BYTES) throw new Error(`a request salt has ${REQUEST_SALT_BYTES} bytes, not ${salt.length}`);
  return hash('sha256', Buffer.concat([salt, Buffer.from(canonicalRequest(request), 'utf8')]), 'hex');
}

/**
 * The entry's leaf in its chain's Merkle tree, version 2 (docs/decisions/0109):
 * UTF-8 of the RFC 8785 canonical JSON of the hashed form in which `request`
 * is replaced by its commitment, a hex string.
 */
export function merkleLeaf(entry: Omit<JournalEntry, 'request'>, commitment: string): Buffer {
  if (!COMMITMENT.test(commitment)) throw new Error('the request commitment is not 64 lowercase hex digits');
  return Buffer.from(canonicalWith(entry, `"${commitment}"`), 'utf8');
}

/**
 * The leaf of tree version 1 (docs/decisions/0104), kept to check proofs
 * made before version 2: the whole canonical form, request facts included.
 */
export function merkleLeafV1(entry: JournalEntry): Buffer {
  return Buffer.from(canonicalEntry(entry), 'utf8');
}

/** Reused input of `chainHash` (grown when an entry needs more): no buffer and no hash object per entry. */
let scratch = Buffer.allocUnsafe(16384);

/** `hash = hex(SHA-256(bytes(prev_hash) ‖ UTF-8(JCS(entry))))`. */
export function chainHash(prevHash: string, entry: JournalEntry): string {
  return chainHashOfCanonical(prevHash, canonicalEntry(entry));
}

/** `chainHash` of an entry whose canonical text is already known (the sealer uses it for the leaf too). */
export function chainHashOfCanonical(prevHash: string, text: string): string {
  const most = (prevHash.length >> 1) + 1 + text.length * 3;
  if (most > scratch.length) scratch = Buffer.allocUnsafe(most * 2);
  // Same bytes as Buffer.from(prevHash, 'hex') (which stops at the first non-hex pair), then the UTF-8 text.
  const head = scratch.write(prevHash, 0, 'hex');
  const length = head + scratch.write(text, head, 'utf8');
  return hash('sha256', scratch.subarray(0, length), 'hex');
}
