import { describe, expect, it } from '@jest/globals';
import { copyFields, sealedEntryOfCopyLine, seqOfCopyLine } from './copy-rows.js';

/** A line as PostgreSQL's COPY text format writes it. */
const fields = [
  'e1', 'national', '2026-01-31T09:00:00.123Z', 'aidant.signed_in', 'aidant', 'a1', '\\N', '\\N', 'a1', '\\N', '\\N',
  '192.0.2.1', 'tab\\there\\nline\\r\\\\N\\\\\\b\\f\\v é', '\\N', '{"method": "pass\\\\"word"}', '42', 'p'.repeat(64), 'h'.repeat(64),
];
const line = fields.join('\t');

describe('journal COPY text lines', () => {
  it('reads NULLs, escapes and the columns of a sealed entry', () => {
    expect(sealedEntryOfCopyLine(line)).toEqual({
      id: 'e1',
      chain: 'national',
      seq: 42,
      at: '2026-01-31T09:00:00.123Z',
      action: 'aidant.signed_in',
      actor: { type: 'aidant', id: 'a1' },
      subjects: { usagerId: null, mandateId: null, aidantId: 'a1', partnerId: null },
      demarche: null,
      request: { ip: '192.0.2.1', userAgent: 'tab\there\nline\r\\N\\\b\f\v é', requestId: null },
      details: { method: 'pass"word' },
      prevHash: 'p'.repeat(64),
      hash: 'h'.repeat(64),
    });
    expect(seqOfCopyLine(line)).toBe(42);
  });

  it.each([
    ['too few fields', fields.slice(1).join('\t')],
    ['too many fields', `${line}\tx`],
  ])('refuses a line with %s', (_what, bad) => {
    expect(() => copyFields(bad)).toThrow(/fields, expected 18/);
  });

  it('refuses a NULL where the table has none', () => {
    expect(() => sealedEntryOfCopyLine(line.replace('e1', '\\N'))).toThrow(/NULL in a NOT NULL column/);
  });
});
