import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import canonicalize from 'canonicalize';
import { canonicalEntry, chainHash, GENESIS_HASH, hashedForm, merkleLeaf, merkleLeafV1, requestCommitment } from './hash-chain.js';
import type { JournalEntry } from '../journal.types.js';

const entry: JournalEntry = {
  id: '0b9f4c1e-2f0a-4c47-9d0e-3f6c2b7a1d55',
  chain: 'national',
  seq: 1,
  at: '2026-01-31T09:00:00.000Z',
  action: 'aidant.signed_in',
  actor: { type: 'aidant', id: 'a1' },
  subjects: { usagerId: null, mandateId: null, aidantId: 'a1', partnerId: null },
  demarche: null,
  request: { ip: '192.0.2.1', userAgent: 'UA', requestId: 'r1' },
  details: { method: 'password+totp', é: 1.5, a: [2, 'x'] },
};

describe('journal chain', () => {
  it('hashes the RFC 8785 form: keys sorted, no spaces, numbers in ECMAScript form', () => {
    expect(canonicalEntry(entry)).toBe(
      '{"action":"aidant.signed_in","actor":{"id":"a1","type":"aidant"},"at":"2026-01-31T09:00:00.000Z",' +
        '"chain":"national","demarche":null,"details":{"a":[2,"x"],"method":"password+totp","é":1.5},' +
        '"id":"0b9f4c1e-2f0a-4c47-9d0e-3f6c2b7a1d55","request":{"ip":"192.0.2.1","requestId":"r1","userAgent":"UA"},' +
        '"seq":1,"subjects":{"aidantId":"a1","mandateId":null,"partnerId":null,"usagerId":null}}',
    );
  });

  it('is SHA-256 over the previous hash bytes then the canonical JSON', () => {
    const expected = createHash('sha256')
      .update(Buffer.alloc(32))
      .update(canonicalEntry(entry))
      .digest('hex');
    expect(chainHash(GENESIS_HASH, entry)).toBe(expected);
  });

  it('ignores fields outside the hashed form and changes with any hashed field', () => {
    const base = chainHash(GENESIS_HASH, entry);
    expect(chainHash(GENESIS_HASH, { ...entry, hash: 'x', prevHash: 'y' } as JournalEntry)).toBe(base);
    expect(chainHash(GENESIS_HASH, { ...entry, seq: 2 })).not.toBe(base);
    expect(chainHash(GENESIS_HASH, { ...entry, details: { method: 'other' } })).not.toBe(base);
    expect(chainHash('f'.repeat(64), entry)).not.toBe(base);
  });

  it.each<[string, Partial<JournalEntry>]>([
    ['nulls everywhere', { actor: { type: 'system', id: null }, request: { ip: null, userAgent: null, requestId: null } }],
    ['every subject', { subjects: { usagerId: 'u', mandateId: 'm', aidantId: 'a', partnerId: 'p' }, demarche: 'logement' }],
    ['non-ASCII, escapes and control characters', { action: 'x.y', request: { ip: '::1', userAgent: 'Mozilla "é" \u2028 \n \u0001 😀', requestId: '\\' } }],
    ['nested details with numbers', { details: { z: [1e21, 0.1, -0, 123456789012], a: { é: true, e: null, '\u20ac': 'x' }, '': 5 } }],
    ['a large seq', { seq: 9007199254740991 }],
    ['empty details', { details: {} }],
    ['arrays of every kind', { details: { a: [[], [[1]], {}, [{ b: null }], ['\u0000', '\u001f', '\u007f', '\\"']] } }],
    ['keys sorted by UTF-16 code units', { details: { b: 1, a: 2, B: 3, '\u00e9': 4, '\ud83d\ude00': 5, '\uff61': 6, '10': 7, '9': 8 } }],
    ['numbers at the edges', { details: { n: [5e-324, 1.7976931348623157e308, 1e-7, 1e-6, 123e20, -1e21, 0.000001, 2 ** 53] } }],
    ['deep nesting', { details: { d: JSON.parse(`${'['.repeat(80)}1${']'.repeat(80)}`) as unknown } }],
    ['a surrogate pair in a value', { details: { s: 'a\ud83d\ude00b' } }],
    ['a quote, a DEL and a surrogate pair in the envelope', { actor: { type: 'aidant', id: 'a"\ud83d\ude00' }, request: { ip: null, userAgent: '\u007f\u0080', requestId: null } }],
    ['a Date in details (toJSON)', { details: { when: new Date(Date.UTC(2026, 0, 2)) } }],
    ['an undefined member and a sparse array', { details: { gone: undefined, kept: 1, list: [1, undefined, 3] } }],
    ['an object without prototype', { details: Object.assign(Object.create(null) as object, { z: 1, a: 2 }) }],
  ])('writes the same canonical form as the generic library: %s', (_what, change) => {
    const variant = { ...entry, ...change } as JournalEntry;
    expect(canonicalEntry(variant)).toBe(canonicalize(hashedForm(variant)));
  });

  it.each<[string, Record<string, unknown>]>([
    ['a lone high surrogate in a value', { s: 'a\ud800' }],
    ['a lone low surrogate in a key', { '\udc00': 1 }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: [Number.POSITIVE_INFINITY] }],
  ])('refuses what the generic library refuses: %s', (_what, details) => {
    expect(() => canonicalize(hashedForm({ ...entry, details }))).toThrow();
    expect(() => canonicalEntry({ ...entry, details })).toThrow();
  });
});

describe('journal Merkle leaves (docs/decisions/0109)', () => {
  const salt = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

  it('commits to the request facts by SHA-256 over the salt then their RFC 8785 form', () => {
    const expected = createHash('sha256')
      .update(salt)
      .update('{"ip":"192.0.2.1","requestId":"r1","userAgent":"UA"}')
      .digest('hex');
    expect(requestCommitment(salt, entry.request)).toBe(expected);
    expect(requestCommitment(salt, entry.request)).toBe(createHash('sha256').update(salt).update(canonicalize(entry.request)!).digest('hex'));
    // Another salt, another commitment: without the salt, the facts cannot be tried one by one.
    expect(requestCommitment(Buffer.alloc(16, 1), entry.request)).not.toBe(expected);
    expect(() => requestCommitment(Buffer.alloc(15), entry.request)).toThrow('a request salt has 16 bytes, not 15');
  });

  it('is the RFC 8785 form of the hashed members with the commitment in place of the request facts', () => {
    const commitment = requestCommitment(salt, entry.request);
    const { request: _request, ...rest } = hashedForm(entry);
    expect(merkleLeaf(entry, commitment).toString('utf8')).toBe(canonicalize({ ...rest, request: commitment }));
    // Built from the redacted entry alone (no request member): the same bytes.
    expect(merkleLeaf(rest, commitment)).toEqual(merkleLeaf(entry, commitment));
    expect(merkleLeaf(entry, commitment).toString('utf8')).not.toContain('192.0.2.1');
    expect(() => merkleLeaf(entry, commitment.toUpperCase())).toThrow('not 64 lowercase hex digits');
    // Version 1 leaves were the whole hashed form.
    expect(merkleLeafV1(entry).toString('utf8')).toBe(canonicalEntry(entry));
  });
});
