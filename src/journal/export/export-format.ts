import type { JWK } from 'jose';
import type { JournalCheckpoint, SealedJournalEntry } from '../journal.types.js';
import { ChainVerifier } from '../verification/chain-verifier.js';

/**
 * The JSON Lines export of one chain (docs/journal.md): a header, the entries
 * in seq order each followed by the checkpoints at its seq, an end record.
 */
export const EXPORT_FORMAT = 'procuration-journal';
export const EXPORT_VERSION = 1;

export interface ExportHeader {
  type: 'header';
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  chain: string;
  lastSeq: number;
  exportedAt: string;
}

export interface ExportEnd {
  type: 'end';
  entries: number;
  checkpoints: number;
  lastHash: string;
}

export const exportLine = {
  header: (chain: string, lastSeq: number, exportedAt: string): string =>
    JSON.stringify({ type: 'header', format: EXPORT_FORMAT, version: EXPORT_VERSION, chain, lastSeq, exportedAt }),
  entry: (entry: SealedJournalEntry): string => JSON.stringify({ type: 'entry', ...entry }),
  checkpoint: (c: JournalCheckpoint): string =>
    JSON.stringify({ type: 'checkpoint', chain: c.chain, seq: c.seq, hash: c.hash, at: c.at, kid: c.kid, jws: c.jws }),
  end: (entries: number, checkpoints: number, lastHash: string): string =>
    JSON.stringify({ type: 'end', entries, checkpoints, lastHash }),
};

export interface FileReport {
  ok: boolean;
  chain: string | null;
  entries: number;
  checkpoints: number;
  lastCheckpoint: JournalCheckpoint | null;
  /** What is wrong, with the line number. */
  error: string | null;
}

type Json = Record<string, unknown>;

const ENTRY_FIELDS = ['type', 'id', 'chain', 'seq', 'at', 'action', 'actor', 'subjects', 'demarche', 'request', 'details', 'prevHash', 'hash'];
const CHECKPOINT_FIELDS = ['type', 'chain', 'seq', 'hash', 'at', 'kid', 'jws'];
const nullableString = (v: unknown) => v === null || typeof v === 'string';

function shapeProblem(record: Json, fields: string[]): string | null {
  const extra = Object.keys(record).filter((k) => !fields.includes(k));
  if (extra.length > 0) return `unexpected field ${extra[0]}`;
  const missing = fields.filter((k) => !(k in record));
  return missing.length > 0 ? `missing field ${missing[0]}` : null;
}

function entryProblem(r: Json): string | null {
  const shape = shapeProblem(r, ENTRY_FIELDS);
  if (shape) return shape;
  const actor = r.actor as Json | null;
  const subjects = r.subjects as Json | null;
  const request = r.request as Json | null;
  const ok =
    typeof r.id === 'string' && typeof r.chain === 'string' && Number.isSafeInteger(r.seq) && typeof r.at === 'string' &&
    typeof r.action === 'string' && nullableString(r.demarche) && typeof r.prevHash === 'string' && typeof r.hash === 'string' &&
    typeof actor === 'object' && actor !== null && typeof actor.type === 'string' && nullableString(actor.id) &&
    typeof subjects === 'object' && subjects !== null &&
    ['usagerId', 'mandateId', 'aidantId', 'partnerId'].every((k) => nullableString(subjects[k])) &&
    typeof request === 'object' && request !== null &&
    ['ip', 'userAgent', 'requestId'].every((k) => nullableString(request[k])) &&
    typeof r.details === 'object' && r.details !== null && !Array.isArray(r.details);
  return ok ? null : 'entry fields have the wrong types';
}

/**
 * Checks an export line by line in constant memory, with nothing but the
 * public keys: format, seq continuity, every hash, every checkpoint
 * signature, and that the file is complete and its last entry is covered by
 * a signed checkpoint.
 */
export async function verifyExportLines(lines: AsyncIterable<string>, jwks: readonly JWK[]): Promise<FileReport> {
  const report: FileReport = { ok: false, chain: null, entries: 0, checkpoints: 0, lastCheckpoint: null, error: null };
  const fail = (lineNo: number, message: string): FileReport => ({ ...report, error: `line ${lineNo}: ${message}` });
  let header: ExportHeader | null = null;
  let verifier: ChainVerifier | null = null;
  let ended = false;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '' ) return fail(lineNo, 'empty line');
    if (ended) return fail(lineNo, 'content after the end record');
    let record: Json;
    try {
      record = JSON.parse(line) as Json;
    } catch {
      return fail(lineNo, 'not valid JSON (the file is truncated or was edited)');
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return fail(lineNo, 'not a JSON object');
    if (!header) {
      if (record.type !== 'header' || record.format !== EXPORT_FORMAT || record.version !== EXPORT_VERSION || typeof record.chain !== 'string' || !Number.isSafeInteger(record.lastSeq)) {
        return fail(lineNo, `not a ${EXPORT_FORMAT} version ${EXPORT_VERSION} header`);
      }
      header = record as unknown as ExportHeader;
      verifier = new ChainVerifier(header.chain, jwks);
      report.chain = header.chain;
      continue;
    }
    const chainVerifier = verifier!;
    if (record.type === 'entry') {
      const problem = entryProblem(record);
      if (problem) return fail(lineNo, problem);
      const broken = chainVerifier.entry(record as unknown as SealedJournalEntry);
      if (broken) return fail(lineNo, `chain ${broken.chain} seq ${broken.seq}: ${broken.message}`);
      report.entries = chainVerifier.entries;
    } else if (record.type === 'checkpoint') {
      const problem = shapeProblem(record, CHECKPOINT_FIELDS);
      if (problem) return fail(lineNo, problem);
      const broken = await chainVerifier.checkpoint(record as unknown as JournalCheckpoint);
      if (broken) return fail(lineNo, `chain ${broken.chain} seq ${broken.seq}: ${broken.message}`);
      report.checkpoints++;
      report.lastCheckpoint = chainVerifier.lastCheckpoint;
    } else if (record.type === 'end') {
      const head = chainVerifier.head;
      if (record.entries !== report.entries || record.checkpoints !== report.checkpoints || record.lastHash !== head.hash) {
        return fail(lineNo, `end record (${record.entries} entries, ${record.checkpoints} checkpoints) does not match the file (${report.entries} entries, ${report.checkpoints} checkpoints)`);
      }
      if (head.seq !== header.lastSeq) {
        return fail(lineNo, `header announces entries up to seq ${header.lastSeq}, the file has up to seq ${head.seq}`);
      }
      ended = true;
    } else {
      return fail(lineNo, `unknown record type ${JSON.stringify(record.type)}`);
    }
  }
  if (!header) return { ...report, error: 'the file is empty' };
  if (!ended) return { ...report, error: `the file is truncated: no end record after line ${lineNo} (last entry seq ${verifier!.head.seq})` };
  const covered = report.lastCheckpoint?.seq ?? 0;
  if (covered < verifier!.head.seq) {
    return { ...report, error: `entries ${covered + 1} to ${verifier!.head.seq} are not covered by a signed checkpoint` };
  }
  return { ...report, ok: true };
}
