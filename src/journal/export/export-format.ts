import type { JWK } from 'jose';
import { merkleLeaf, merkleLeafV1, requestCommitment, REQUEST_SALT_BYTES } from '../entries/hash-chain.js';
import type { JournalCheckpoint, SealedJournalEntry } from '../journal.types.js';
import { MerkleFrontier } from '../merkle/merkle.frontier.js';
import { parseCheckpoint } from '../notes/checkpoint.js';
import { parseNote, verifyNote, type NoteVerifier } from '../notes/note.js';
import { ChainVerifier } from '../verification/chain-verifier.js';

/**
 * The JSON Lines export of one chain (docs/journal.md): a header, the entries
 * in seq order each followed by the checkpoints at its seq, an end record.
 * Version 2 adds each entry's `requestSalt` and each checkpoint's C2SP
 * `note`, so that the Merkle roots the notes sign can be recomputed from the
 * file (docs/decisions/0110). Version 1 (without them) is still checked.
 */
export const EXPORT_FORMAT = 'procuration-journal';
export const EXPORT_VERSION = 2;
export type ExportVersion = 1 | 2;

export interface ExportHeader {
  type: 'header';
  format: typeof EXPORT_FORMAT;
  version: ExportVersion;
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

/**
 * The lines of an export. Version 1 lines by default (the searches' exports
 * write them from COPY lines); version 2 passes each entry's salt and each
 * checkpoint's note.
 */
export const exportLine = {
  header: (chain: string, lastSeq: number, exportedAt: string, version: ExportVersion = 1): string =>
    JSON.stringify({ type: 'header', format: EXPORT_FORMAT, version, chain, lastSeq, exportedAt }),
  entry: (entry: SealedJournalEntry, requestSalt?: string): string =>
    JSON.stringify(requestSalt === undefined ? { type: 'entry', ...entry } : { type: 'entry', ...entry, requestSalt }),
  checkpoint: (c: JournalCheckpoint, note?: string | null): string =>
    JSON.stringify({ type: 'checkpoint', chain: c.chain, seq: c.seq, hash: c.hash, at: c.at, kid: c.kid, jws: c.jws, ...(note === undefined ? {} : { note }) }),
  end: (entries: number, checkpoints: number, lastHash: string): string =>
    JSON.stringify({ type: 'end', entries, checkpoints, lastHash }),
};

export interface FileReport {
  ok: boolean;
  chain: string | null;
  entries: number;
  checkpoints: number;
  lastCheckpoint: JournalCheckpoint | null;
  /** Checkpoint notes whose Merkle root was recomputed from the entries (version 2). */
  merkleRoots: number;
  /** What is wrong, with the line number. */
  error: string | null;
}

type Json = Record<string, unknown>;

const ENTRY_FIELDS = ['type', 'id', 'chain', 'seq', 'at', 'action', 'actor', 'subjects', 'demarche', 'request', 'details', 'prevHash', 'hash'];
const CHECKPOINT_FIELDS = ['type', 'chain', 'seq', 'hash', 'at', 'kid', 'jws'];
const FIELDS: Record<ExportVersion, { entry: string[]; checkpoint: string[] }> = {
  1: { entry: ENTRY_FIELDS, checkpoint: CHECKPOINT_FIELDS },
  2: { entry: [...ENTRY_FIELDS, 'requestSalt'], checkpoint: [...CHECKPOINT_FIELDS, 'note'] },
};
const HEX_SALT = new RegExp(`^[0-9a-f]{${REQUEST_SALT_BYTES * 2}}$`);

/**
 * The chain's two Merkle trees rebuilt from the file's entries (version 2):
 * version 1 (whole entries) and version 2 (request facts committed by their
 * salt), so that a checkpoint note of either origin is compared with the
 * root of the right one.
 */
class ExportTrees {
  private readonly v1 = new MerkleFrontier(0, []);
  private readonly v2 = new MerkleFrontier(0, []);
  roots = 0;

  constructor(
    private readonly chain: string,
    private readonly noteKeys: readonly NoteVerifier[],
  ) {}

  entry(entry: SealedJournalEntry, requestSalt: string): void {
    this.v1.append(merkleLeafV1(entry));
    this.v2.append(merkleLeaf(entry, requestCommitment(Buffer.from(requestSalt, 'hex'), entry.request)));
  }

  /** What is wrong with a checkpoint's note, if anything; called once the entry at its seq is taken. */
  noteProblem(seq: number, note: string): string | null {
    let text: string;
    try {
      text = this.noteKeys.length > 0 ? verifyNote(note, this.noteKeys).text : parseNote(note).text;
    } catch (error) {
      return `checkpoint note is refused: ${(error as Error).message}`;
    }
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(text);
    } catch (error) {
      return `checkpoint note is not a checkpoint: ${(error as Error).message}`;
    }
    const tree = checkpoint.origin.endsWith(`/journal/v2/${this.chain}`) ? this.v2 : checkpoint.origin.endsWith(`/journal/${this.chain}`) ? this.v1 : null;
    if (!tree) return `checkpoint note has origin ${checkpoint.origin}, not one of chain ${this.chain}`;
    if (checkpoint.size !== seq) return `checkpoint note has tree size ${checkpoint.size}, the checkpoint is at seq ${seq}`;
    const root = tree.root();
    if (!root.equals(checkpoint.rootHash)) {
      return `checkpoint note's Merkle root ${checkpoint.rootHash.toString('base64')} differs from the root of the entries ${root.toString('base64')}`;
    }
    this.roots++;
    return null;
  }
}
const nullableString = (v: unknown) => v === null || typeof v === 'string';

function shapeProblem(record: Json, fields: string[]): string | null {
  const extra = Object.keys(record).filter((k) => !fields.includes(k));
  if (extra.length > 0) return `unexpected field ${extra[0]}`;
  const missing = fields.filter((k) => !(k in record));
  return missing.length > 0 ? `missing field ${missing[0]}` : null;
}

function entryProblem(r: Json, version: ExportVersion): string | null {
  const shape = shapeProblem(r, FIELDS[version].entry);
  if (shape) return shape;
  if (version === 2 && (typeof r.requestSalt !== 'string' || !HEX_SALT.test(r.requestSalt))) return 'requestSalt is not 32 lowercase hex digits';
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
 * a signed checkpoint. In version 2, also each checkpoint note's Merkle
 * root against the tree rebuilt from the entries (and its signature, when
 * `noteKeys` are given).
 */
export async function verifyExportLines(lines: AsyncIterable<string>, jwks: readonly JWK[], noteKeys: readonly NoteVerifier[] = []): Promise<FileReport> {
  const report: FileReport = { ok: false, chain: null, entries: 0, checkpoints: 0, lastCheckpoint: null, merkleRoots: 0, error: null };
  const fail = (lineNo: number, message: string): FileReport => ({ ...report, error: `line ${lineNo}: ${message}` });
  let header: ExportHeader | null = null;
  let verifier: ChainVerifier | null = null;
  let trees: ExportTrees | null = null;
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
      if (record.type !== 'header' || record.format !== EXPORT_FORMAT || (record.version !== 1 && record.version !== 2) || typeof record.chain !== 'string' || !Number.isSafeInteger(record.lastSeq)) {
        return fail(lineNo, `not a ${EXPORT_FORMAT} version 1 or ${EXPORT_VERSION} header`);
      }
      header = record as unknown as ExportHeader;
      verifier = new ChainVerifier(header.chain, jwks);
      trees = header.version === 2 ? new ExportTrees(header.chain, noteKeys) : null;
      report.chain = header.chain;
      continue;
    }
    const chainVerifier = verifier!;
    if (record.type === 'entry') {
      const problem = entryProblem(record, header.version);
      if (problem) return fail(lineNo, problem);
      const entry = record as unknown as SealedJournalEntry;
      const broken = chainVerifier.entry(entry);
      if (broken) return fail(lineNo, `chain ${broken.chain} seq ${broken.seq}: ${broken.message}`);
      trees?.entry(entry, record.requestSalt as string);
      report.entries = chainVerifier.entries;
    } else if (record.type === 'checkpoint') {
      const problem = shapeProblem(record, FIELDS[header.version].checkpoint);
      if (problem) return fail(lineNo, problem);
      const broken = await chainVerifier.checkpoint(record as unknown as JournalCheckpoint);
      if (broken) return fail(lineNo, `chain ${broken.chain} seq ${broken.seq}: ${broken.message}`);
      if (trees && record.note !== null) {
        if (typeof record.note !== 'string') return fail(lineNo, 'note is neither a signed note nor null');
        const noteProblem = trees.noteProblem(Number(record.seq), record.note);
        if (noteProblem) return fail(lineNo, `chain ${header.chain} seq ${String(record.seq)}: ${noteProblem}`);
        report.merkleRoots = trees.roots;
      }
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
