/**
 * An inclusion proof bundle (docs/journal-proofs.md): one JSON file with the
 * entry as recorded, its leaf index, the signed checkpoint note of its
 * chain's tree, and the audit path from the entry's leaf to that root. Checked
 * with public keys only: the note's signature, then the path.
 *
 * Format 2 proves an entry in tree version 2 (docs/decisions/0109), whose
 * leaves commit to the request facts by a salted hash. Its entry comes in
 * one of two forms: *full* (the request facts, their salt, `prevHash` and
 * `hash`: a référent's bundle, checked down to the chain hash) or *redacted*
 * (the commitment only, no request facts and no chain hashes, from which
 * they could be found back: a usager's bundle). Format 1 (tree version 1,
 * the whole entry as leaf) is still checked, for bundles made before.
 */
import { merkleLeaf, merkleLeafV1, chainHash, requestCommitment, REQUEST_SALT_BYTES } from '../entries/hash-chain.js';
import type { JournalEntry, SealedJournalEntry } from '../journal.types.js';
import { leafHash } from '../merkle/merkle.hash.js';
import { verifyInclusion } from '../merkle/merkle.verify.js';
import { parseCheckpoint, type Checkpoint } from '../notes/checkpoint.js';
import { decodeBase64 } from '../notes/note.encoding.js';
import { verifyNote, type NoteVerifier } from '../notes/note.js';

export const PROOF_BUNDLE_FORMAT = 'procuration-journal-inclusion-proof/2';
/** Bundles over tree version 1 (whole entries as leaves), made before version 2. */
export const PROOF_BUNDLE_FORMAT_V1 = 'procuration-journal-inclusion-proof/1';

/** The entry with its request facts, their salt and its chain hashes: a référent's bundle. */
export interface FullBundleEntry extends SealedJournalEntry {
  /** Hex of the 16 random bytes of the request commitment. */
  requestSalt: string;
}

/** The entry without request facts nor chain hashes, with the commitment to those facts: a usager's bundle. */
export interface RedactedBundleEntry extends Omit<JournalEntry, 'request'> {
  /** Hex SHA-256(salt ‖ UTF-8(JCS(request))). */
  requestCommitment: string;
}

export interface ProofBundle {
  format: typeof PROOF_BUNDLE_FORMAT;
  /** The entry as the chain holds it, full or redacted. */
  entry: FullBundleEntry | RedactedBundleEntry;
  /** Its leaf in the chain's tree: `entry.seq − 1`. */
  leafIndex: number;
  /** The signed checkpoint note (C2SP tlog-checkpoint), with every signature and cosignature it has. */
  checkpoint: string;
  /** Base64 hashes from the leaf's sibling up to the root's child. */
  auditPath: string[];
}

/** The redacted form of a full entry: what a usager's bundle carries. */
export function redactedEntry(entry: FullBundleEntry): RedactedBundleEntry {
  const { request, requestSalt, prevHash: _prevHash, hash: _hash, ...rest } = entry;
  return { ...rest, requestCommitment: requestCommitment(Buffer.from(requestSalt, 'hex'), request) };
}

const COMMON_MEMBERS = ['id', 'chain', 'seq', 'at', 'action', 'actor', 'subjects', 'demarche', 'details'];
const FULL_MEMBERS = [...COMMON_MEMBERS, 'request', 'requestSalt', 'prevHash', 'hash'];
const REDACTED_MEMBERS = [...COMMON_MEMBERS, 'requestCommitment'];
const NESTED_MEMBERS: Record<string, string[]> = {
  actor: ['type', 'id'],
  subjects: ['usagerId', 'mandateId', 'aidantId', 'partnerId'],
  request: ['ip', 'userAgent', 'requestId'],
};

/** Exactly `members` (and, in the nested objects, exactly theirs): a member the leaf would not cover is refused, not ignored. */
function requireMembers(entry: Record<string, unknown>, members: readonly string[]): void {
  const sameSet = (object: unknown, wanted: readonly string[], where: string) => {
    if (!object || typeof object !== 'object' || Array.isArray(object)) throw new Error(`${where} is not an object`);
    const keys = Object.keys(object);
    const extra = keys.filter((k) => !wanted.includes(k));
    const missing = wanted.filter((k) => !keys.includes(k));
    if (extra.length > 0 || missing.length > 0) {
      throw new Error(`${where} has ${[...extra.map((k) => `unexpected member ${k}`), ...missing.map((k) => `no member ${k}`)].join(', ')}`);
    }
  };
  sameSet(entry, members, 'the entry');
  for (const [member, nested] of Object.entries(NESTED_MEMBERS)) if (members.includes(member)) sameSet(entry[member], nested, member);
}

const HEX_SALT = new RegExp(`^[0-9a-f]{${REQUEST_SALT_BYTES * 2}}$`);

/** The leaf bytes of a bundle's entry, checking what the entry's form allows (throws a plain Error). */
function leafOf(format: string, entry: Record<string, unknown>): { leaf: Buffer; requestFacts: 'revealed' | 'committed' } {
  if (format === PROOF_BUNDLE_FORMAT_V1) {
    const sealed = entry as unknown as SealedJournalEntry;
    const leaf = merkleLeafV1(sealed);
    if (chainHash(sealed.prevHash, sealed) !== sealed.hash) throw new Error('its hash does not match its content');
    return { leaf, requestFacts: 'revealed' };
  }
  if ('request' in entry) {
    requireMembers(entry, FULL_MEMBERS);
    const full = entry as unknown as FullBundleEntry;
    if (typeof full.requestSalt !== 'string' || !HEX_SALT.test(full.requestSalt)) throw new Error('its request salt is not 32 lowercase hex digits');
    const leaf = merkleLeaf(full, requestCommitment(Buffer.from(full.requestSalt, 'hex'), full.request));
    if (chainHash(full.prevHash, full) !== full.hash) throw new Error('its hash does not match its content');
    return { leaf, requestFacts: 'revealed' };
  }
  requireMembers(entry, REDACTED_MEMBERS);
  const redacted = entry as unknown as RedactedBundleEntry;
  if (typeof redacted.requestCommitment !== 'string') throw new Error('its request commitment is not a string');
  return { leaf: merkleLeaf(redacted, redacted.requestCommitment), requestFacts: 'committed' };
}

export interface VerifiedBundle {
  checkpoint: Checkpoint;
  /** Whether the bundle showed the request facts (checked to the chain hash) or only their commitment. */
  requestFacts: 'revealed' | 'committed';
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
  const bundle = input as { format?: unknown; entry?: Record<string, unknown>; leafIndex?: number; checkpoint?: unknown; auditPath?: unknown } | null;
  if (!bundle || typeof bundle !== 'object' || (bundle.format !== PROOF_BUNDLE_FORMAT && bundle.format !== PROOF_BUNDLE_FORMAT_V1)) {
    throw new ProofBundleError('format', `not a proof bundle of format ${PROOF_BUNDLE_FORMAT} (or ${PROOF_BUNDLE_FORMAT_V1})`);
  }
  const format = bundle.format;
  const { entry, leafIndex, checkpoint, auditPath } = bundle;
  if (!entry || typeof entry !== 'object' || typeof checkpoint !== 'string' || !Array.isArray(auditPath) || !Number.isSafeInteger(leafIndex)) {
    throw new ProofBundleError('format', 'the bundle lacks its entry, leaf index, checkpoint or audit path');
  }
  let leaf: Buffer;
  let requestFacts: VerifiedBundle['requestFacts'];
  try {
    ({ leaf, requestFacts } = leafOf(format, entry));
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
  const originEnd = format === PROOF_BUNDLE_FORMAT_V1 ? `/journal/${String(entry.chain)}` : `/journal/v2/${String(entry.chain)}`;
  if (!parsed.origin.endsWith(originEnd)) {
    throw new ProofBundleError('checkpoint', `the checkpoint is that of ${parsed.origin}, not of chain ${String(entry.chain)} (origin ending ${originEnd})`);
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
  return { checkpoint: parsed, requestFacts, signedBy, cosignedBy };
}
