import { sealedEntryOfCopyLine } from '../reading/copy-rows.js';
import type { JournalCheckpoint } from '../journal.types.js';
import { ChainVerifier, type ChainBreak } from './chain-verifier.js';

/**
 * What checking a run of consecutive entries found, from the run's own first
 * `prev_hash` (the run knows nothing of the entries before it): whoever
 * holds the chain so far links the run with `ChainVerifier.follow(first)`,
 * then moves to each mark and to `last` with `ChainVerifier.reach`.
 */
export interface RunCheck {
  /** The first entry (`null` for an empty run), to be linked to the chain before it. */
  first: { chain: string; seq: number; prevHash: string } | null;
  /** The last entry checked whole (before the break, if any). */
  last: { seq: number; hash: string } | null;
  /** The entries asked for (the checkpoints' seqs), as checked, in seq order, before the break. */
  marks: { seq: number; hash: string }[];
  /** The first break inside the run (seq continuity, prev_hash links, hashes), after its first entry's link. */
  broken: ChainBreak | null;
}

/** A run sent to a verification worker thread, and its answer. */
export interface RunJob {
  id: number;
  chain: string;
  bytes: Uint8Array;
  marks: readonly number[];
}
export type RunReply = { id: number; run: RunCheck } | { id: number; error: string };

/**
 * Checks the COPY text lines of one page of a chain (reading/copy-rows.ts):
 * parses each line, recomputes its hash, and checks seq and prev_hash
 * continuity inside the run. Pure and self-contained, so it runs the same in
 * a worker thread (verification/worker.ts) and in the caller's thread.
 */
export function checkCopyRun(chain: string, bytes: Uint8Array, markSeqs: readonly number[]): RunCheck {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const run: RunCheck = { first: null, last: null, marks: [], broken: null };
  let verifier: ChainVerifier | null = null;
  let mark = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const entry = sealedEntryOfCopyLine(text.slice(start, end));
    start = end + 1;
    if (!verifier) {
      run.first = { chain: entry.chain, seq: entry.seq, prevHash: entry.prevHash };
      verifier = ChainVerifier.startingAfter(chain, entry.seq - 1, entry.prevHash);
    }
    run.broken = verifier.entry(entry);
    if (run.broken) break;
    run.last = { seq: entry.seq, hash: entry.hash };
    while (mark < markSeqs.length && markSeqs[mark]! < entry.seq) mark++;
    if (markSeqs[mark] === entry.seq) run.marks.push({ seq: entry.seq, hash: entry.hash });
  }
  return run;
}

/**
 * Links a checked run to the chain so far (`verifier`, which holds the chain
 * up to the run): its first entry must follow the last one taken; each checkpoint is checked at its entry; then the page's
 * own break, if any (every entry before it, and the checkpoints they reach,
 * having been taken first: the break reported is the lowest seq).
 */
export async function linkRun(
  verifier: ChainVerifier,
  run: RunCheck,
  checkpoints: readonly JournalCheckpoint[],
): Promise<ChainBreak | null> {
  if (run.first) {
    const broken = verifier.follow(run.first);
    if (broken) return broken;
  }
  let next = 0;
  for (const mark of run.marks) {
    verifier.reach(mark.seq, mark.hash);
    while (next < checkpoints.length && checkpoints[next]!.seq <= mark.seq) {
      const broken = await verifier.checkpoint(checkpoints[next++]!);
      if (broken) return broken;
    }
  }
  if (run.broken) return run.broken;
  if (run.last) verifier.reach(run.last.seq, run.last.hash);
  // A checkpoint beyond the run's last entry (only possible at the end of the chain).
  return next < checkpoints.length ? verifier.checkpoint(checkpoints[next]!) : null;
}
