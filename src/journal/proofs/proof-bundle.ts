/**
 * An inclusion proof bundle (docs/journal-proofs.md): one JSON file with the
 * entry as recorded, its leaf index, the signed checkpoint note of its
 * chain's tree, and the audit path from the entry's leaf to that root. Checked
 * with public keys only: the note's signature, then the path.
 */
import { merkleLeaf, chainHash } from '../entries/hash-chain.js';
import type { SealedJournalEntry } from '../journal.types.js';
import { leafHash } from '../merkle/merkle.hash.js';
import { verifyInclusion } from '../merkle/merkle.verify.js';
import { parseCheckpoint, type Checkpoint } from '../notes/checkpoint.js';
import { decodeBase64 } from '../notes/note.encoding.js';
import { verifyNote, type NoteVerifier } from '../notes/note.js';

export const PROOF_BUNDLE_FORMAT = 'procuration-journal-inclusion-proof/1';

export interface ProofBundle {
  format: typeof PROOF_BUNDLE_FORMAT;
  /** The entry exactly as the chain holds it (its hashed form, `prevHash`, `hash`). */
  entry: SealedJournalEntry;
  /** Its leaf in the chain's tree: `entry.seq − 1`. */
  leafIndex: number;
  /** The signed checkpoint note (C2SP tlog-checkpoint), with every signature and cosignature it has. */
  checkpoint: string;
  /** Base64 hashes from the leaf's sibling up to the root's child. */
  auditPath: string[];
}

export interface VerifiedBundle {
  checkpoint: Checkpoint;
  signedBy: string[];
  /** The witnesses asked for whose cosignature verified. */
  cosignedBy: string[];
}

/** Refused bundle: `what` names the part that failed. */
export class ProofBundleError extends Error {
  constructor(
    readonly what: 'format' | 'entry' | 'checkpoint' | 'cosignature' | 'path',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a bundle with the given public keys; throws ProofBundleError naming
 * what failed. `verifiers` are the log's keys (one must have signed);
 * `witnesses` are cosignature keys whose cosignature the note must carry.
 */
export function verifyProofBundle(input: unknown, verifiers: readonly NoteVerifier[], witnesses: readonly NoteVerifier[] = []): VerifiedBundle {
  const bundle = input as Partial<ProofBundle> | null;
  if (!bundle || typeof bundle !== 'object' || bundle.format !== PROOF_BUNDLE_FORMAT) {
    throw new ProofBundleError('format', `not a proof bundle of format ${PROOF_BUNDLE_FORMAT}`);
  }
  const { entry, leafIndex, checkpoint, auditPath } = bundle;
  if (!entry || typeof entry !== 'object' || typeof checkpoint !== 'string' || !Array.isArray(auditPath) || !Number.isSafeInteger(leafIndex)) {
    throw new ProofBundleError('format', 'the bundle lacks its entry, leaf index, checkpoint or audit path');
  }
  let leaf: Buffer;
  try {
    leaf = merkleLeaf(entry);
    if (chainHash(entry.prevHash, entry) !== entry.hash) throw new Error('its hash does not match its content');
  } catch (error) {
    throw new ProofBundleError('entry', `the entry is not as recorded: ${(error as Error).message}`);
  }
  if (entry.seq !== leafIndex! + 1) {
    throw new ProofBundleError('entry', `the entry has seq ${entry.seq}, leaf index ${leafIndex} is that of seq ${leafIndex! + 1}`);
  }
  let parsed: Checkpoint;
  let signedBy: string[];
  try {
    const note = verifyNote(checkpoint, verifiers);
    parsed = parseCheckpoint(note.text);
    signedBy = note.verified.map((s) => s.name);
  } catch (error) {
    throw new ProofBundleError('checkpoint', `the checkpoint is refused: ${(error as Error).message}`);
  }
  const cosignedBy: string[] = [];
  for (const witness of witnesses) {
    try {
      cosignedBy.push(...verifyNote(checkpoint, [witness]).verified.map((s) => s.name));
    } catch (error) {
      throw new ProofBundleError('cosignature', `no valid cosignature of witness ${witness.name}: ${(error as Error).message}`);
    }
  }
  if (!parsed.origin.endsWith(`/journal/${entry.chain}`)) {
    throw new ProofBundleError('checkpoint', `the checkpoint is that of ${parsed.origin}, not of chain ${entry.chain}`);
  }
  try {
    verifyInclusion({
      index: leafIndex!,
      size: parsed.size,
      leafHash: leafHash(leaf),
      proof: auditPath.map((hash, i) => decodeBase64(String(hash), `audit path hash ${i}`)),
      root: parsed.rootHash,
    });
  } catch (error) {
    throw new ProofBundleError('path', `the audit path does not lead to the checkpoint's root: ${(error as Error).message}`);
  }
  return { checkpoint: parsed, signedBy, cosignedBy };
}
