import type { SealedJournalEntry } from '../journal.types.js';

/**
 * Reading sealed entries through `COPY (SELECT …) TO STDOUT` (text format) on
 * PostgreSQL: the rows arrive as tab-separated lines that this file parses
 * itself, with no per-row object from the driver, no Date and no separate
 * JSON parse of every column. The select list is the sealed row's columns,
 * `at` already written as `Date#toISOString()` writes it.
 */

/** `at` as `toISOString()` writes it (UTC, milliseconds truncated like the driver's Date). */
export const AT_AS_ISO = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The select list of a COPY read (`at` third). */
export const COPY_COLUMNS = [
  'id', 'chain', AT_AS_ISO, 'action', 'actor_type', 'actor_id', 'usager_id', 'mandate_id', 'aidant_id',
  'partner_id', 'demarche', 'ip', 'user_agent', 'request_id', 'details', 'seq', 'prev_hash', 'hash',
] as const;

const FIELDS = COPY_COLUMNS.length;
const SEQ = COPY_COLUMNS.indexOf('seq');

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One field of the text format: `\N` is NULL; `\x` escapes as PostgreSQL writes them. */
function unescapeField(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/gs, (_all, c: string) => ESCAPES[c] ?? c);
}

/** The fields of one line (no trailing newline). */
export function copyFields(line: string): (string | null)[] {
  const fields: (string | null)[] = line.split('\t');
  if (fields.length !== FIELDS) throw new Error(`journal COPY line has ${fields.length} fields, expected ${FIELDS}`);
  // Tabs, newlines and backslashes inside values are escaped, so most lines have no backslash at all.
  if (line.includes('\\')) {
    for (let i = 0; i < FIELDS; i++) {
      const f = fields[i]!;
      if (f.includes('\\')) fields[i] = unescapeField(f);
    }
  }
  return fields;
}

/** The sealed entry of one COPY line. */
export function sealedEntryOfCopyLine(line: string): SealedJournalEntry {
  const f = copyFields(line);
  const details = f[14];
  const prevHash = f[16];
  const hash = f[17];
  if (
    details === null || prevHash === null || hash === null ||
    f[0] === null || f[1] === null || f[2] === null || f[3] === null || f[4] === null
  ) {
    throw new Error('journal COPY line has a NULL in a NOT NULL column');
  }
  return {
    id: f[0],
    chain: f[1],
    seq: Number(f[SEQ]),
    at: f[2],
    action: f[3],
    actor: { type: f[4], id: f[5] },
    subjects: { usagerId: f[6], mandateId: f[7], aidantId: f[8], partnerId: f[9] },
    demarche: f[10],
    request: { ip: f[11], userAgent: f[12], requestId: f[13] },
    details: JSON.parse(details) as Record<string, unknown>,
    prevHash,
    hash,
  };
}

/** The seq of a line without parsing the rest (for the keyset of the next page). */
export function seqOfCopyLine(line: string): number {
  const f = line.split('\t', SEQ + 1);
  return Number(f[SEQ]);
}

/** Splits the bytes of a COPY text output into lines (UTF-8 decoded once; a value never holds a raw newline). */
export function copyLines(chunks: Buffer[]): string[] {
  if (chunks.length === 0) return [];
  const text = Buffer.concat(chunks).toString('utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
