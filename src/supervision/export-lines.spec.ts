import { describe, expect, it } from '@jest/globals';
import { sealedEntryOfCopyLine } from '../journal/reading/copy-rows.js';
import { exportLine } from '../journal/export/export-format.js';
import { entryRecordOfCopyLine } from './export-lines.js';

const HASH = 'ab'.repeat(32);
/** A COPY text line as PostgreSQL writes it (fields already escaped). */
function copyLine(over: Partial<Record<number, string>> = {}): string {
  const fields = [
    '0b6c7c3e-1f6a-4c57-9d0e-4f6f2b1b8a11', '9a1d6b1e-8d1f-4b55-a3c5-0d2f1f3b7c22', '2027-03-12T09:14:05.123Z', 'autorisation.used',
    'aidant', 'a1', 'u1', 'm1', 'a1', 'caf-demo', 'logement', '192.0.2.1', 'Mozilla/5.0', 'req-1',
    '{"useId": "x", "clientId": "caf", "repScope": ["a", "b"]}', '42', '0'.repeat(64), HASH,
  ];
  for (const [i, v] of Object.entries(over)) fields[Number(i)] = v!;
  return fields.join('\t');
}

describe('entryRecordOfCopyLine', () => {
  it.each([
    ['a use', copyLine()],
    ['NULL subjects, démarche and request', copyLine({ 5: '\\N', 6: '\\N', 7: '\\N', 8: '\\N', 9: '\\N', 10: '\\N', 11: '\\N', 12: '\\N', 13: '\\N' })],
    ['escaped tab, newline and backslash', copyLine({ 12: 'a\\tb\\nc\\\\d', 14: '{"note": "x\\\\ty"}' })],
    ['quotes, accents and other scripts', copyLine({ 12: 'Navigateur "spécial" ✓ 日本', 14: '{"reason": "fin de l’accompagnement \\\\"ok\\\\""}' })],
    ['numbers, nesting and empty objects in details', copyLine({ 14: '{"a": 1.0, "b": {"c": [1, 2.50, null, true]}, "e": {}}' })],
    ['a large seq', copyLine({ 15: '9007199254740991' })],
  ])('writes the same bytes as the entry record of the export format: %s', (_label, line) => {
    const record = entryRecordOfCopyLine(line);
    const entry = sealedEntryOfCopyLine(line);
    expect(record.line).toBe(exportLine.entry(entry));
    expect(record.seq).toBe(entry.seq);
    expect(record.hash).toBe(entry.hash);
  });

  it('refuses a line with a NULL where the journal has none', () => {
    expect(() => entryRecordOfCopyLine(copyLine({ 17: '\\N' }))).toThrow('NULL');
  });
});
