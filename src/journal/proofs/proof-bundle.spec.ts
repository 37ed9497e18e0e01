import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { chainHash, GENESIS_HASH, merkleLeaf, merkleLeafV1, requestCommitment } from '../entries/hash-chain.js';
import type { SealedJournalEntry } from '../journal.types.js';
import { inclusionProof, InMemoryMerkleTree, rootAt } from '../merkle/index.js';
import { formatCheckpoint } from '../notes/checkpoint.js';
import { ed25519Signer, ed25519Verifier, signNote } from '../notes/note.js';
import { generateSignerKey, parseVerifierKey, formatVerifierKey, SIGNATURE_TYPE } from '../notes/note.keys.js';
import {
  PROOF_BUNDLE_FORMAT,
  PROOF_BUNDLE_FORMAT_V1,
  ProofBundleError,
  redactedEntry,
  verifyProofBundle,
  type FullBundleEntry,
} from './proof-bundle.js';

const CHAIN = '6f1f7f3e-2b9b-4c51-9d8e-0c4a1b2c3d4e';
const signer = generateSignerKey('procuration.test/journal');
const verifier = ed25519Verifier(parseVerifierKey(formatVerifierKey(signer.name, SIGNATURE_TYPE.ed25519, signer.publicKey)));

/** A chain of five entries made by aidants, as the sealer stores them, with their salts. */
function chain(): FullBundleEntry[] {
  const entries: FullBundleEntry[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= 5; seq++) {
    const entry = {
      id: `00000000-0000-4000-8000-00000000000${seq}`,
      chain: CHAIN,
      seq,
      at: `2026-12-04T10:00:0${seq}.000Z`,
      action: 'autorisation.used',
      actor: { type: 'aidant', id: 'aidant-1' },
      subjects: { usagerId: `usager-${seq % 2}`, mandateId: 'm-1', aidantId: 'aidant-1', partnerId: 'caf-demo' },
      demarche: 'logement',
      request: { ip: '198.51.100.7', userAgent: 'Navigateur du guichet', requestId: `req-${seq}` },
      details: { clientId: 'caf-demo', useId: `use-${seq}`, repScope: ['logement'] },
    };
    const hash = chainHash(prev, entry);
    entries.push({ ...entry, prevHash: prev, hash, requestSalt: randomBytes(16).toString('hex') });
    prev = hash;
  }
  return entries;
}

/** A bundle of entry `seq` over a tree of `leaves`, signed under `origin`. */
function bundleOf(format: string, entry: object, seq: number, leaves: Buffer[], origin: string) {
  const tree = new InMemoryMerkleTree();
  for (const leaf of leaves) tree.append(leaf);
  const size = leaves.length;
  const checkpoint = signNote(formatCheckpoint({ origin, size, rootHash: rootAt(tree, size), extensions: [] }), [ed25519Signer(signer)]);
  return { format, entry, leafIndex: seq - 1, checkpoint, auditPath: inclusionProof(tree, seq - 1, size).map((h) => h.toString('base64')) };
}

const refusal = (bundle: unknown) => {
  try {
    verifyProofBundle(bundle, [verifier]);
  } catch (error) {
    expect(error).toBeInstanceOf(ProofBundleError);
    return `${(error as ProofBundleError).what}: ${(error as Error).message}`;
  }
  throw new Error('the bundle was accepted');
};

describe('proof bundles, full and redacted (docs/decisions/0109)', () => {
  const entries = chain();
  const leaves = entries.map((e) => merkleLeaf(e, requestCommitment(Buffer.from(e.requestSalt, 'hex'), e.request)));
  const origin = `procuration.test/journal/v2/${CHAIN}`;

  it('accepts the full form (facts, salt, chain hashes) and the redacted form (commitment only) of the same entry', () => {
    const full = bundleOf(PROOF_BUNDLE_FORMAT, entries[2]!, 3, leaves, origin);
    expect(verifyProofBundle(full, [verifier])).toMatchObject({ requestFacts: 'revealed', signedBy: [signer.name] });
    const redacted = bundleOf(PROOF_BUNDLE_FORMAT, redactedEntry(entries[2]!), 3, leaves, origin);
    expect(JSON.stringify(redacted)).not.toMatch(/198\.51\.100\.7|Navigateur|req-3|prevHash|"hash"|requestSalt/);
    expect(verifyProofBundle(redacted, [verifier])).toMatchObject({ requestFacts: 'committed', checkpoint: { origin, size: 5 } });
  });

  it('refuses a changed fact, salt or commitment, a mixed form and members the leaf does not cover, naming the part', () => {
    const full = (change: (e: Record<string, unknown>) => void) => {
      const entry = structuredClone(entries[1]!) as unknown as Record<string, unknown>;
      change(entry);
      return bundleOf(PROOF_BUNDLE_FORMAT, entry, 2, leaves, origin);
    };
    const redacted = (change: (e: Record<string, unknown>) => void) => {
      const entry = structuredClone(redactedEntry(entries[1]!)) as unknown as Record<string, unknown>;
      change(entry);
      return bundleOf(PROOF_BUNDLE_FORMAT, entry, 2, leaves, origin);
    };
    // Re-signed over the honest tree: only the entry differs, and the leaf or chain hash catches it.
    expect(refusal(full((e) => ((e.request as Record<string, unknown>).ip = '198.51.100.8')))).toMatch(/^entry: .*its hash does not match/);
    expect(refusal(full((e) => (e.requestSalt = '0'.repeat(32))))).toMatch(/^path: /);
    expect(refusal(full((e) => (e.requestSalt = 'AB'.repeat(16))))).toMatch(/^entry: .*request salt is not 32 lowercase hex digits/);
    expect(refusal(full((e) => (e.requestCommitment = 'a'.repeat(64))))).toMatch(/^entry: .*unexpected member requestCommitment/);
    expect(refusal(redacted((e) => (e.requestCommitment = 'a'.repeat(64))))).toMatch(/^path: /);
    expect(refusal(redacted((e) => (e.hash = entries[1]!.hash)))).toMatch(/^entry: .*unexpected member hash/);
    expect(refusal(redacted((e) => ((e.actor as Record<string, unknown>).ip = '198.51.100.7')))).toMatch(/^entry: .*actor has unexpected member ip/);
    expect(refusal(redacted((e) => delete e.demarche))).toMatch(/^entry: .*no member demarche/);
    // The redacted entry signed under the origin of tree 1 is refused: a tree-2 leaf is proven in a tree-2 checkpoint only.
    expect(refusal(bundleOf(PROOF_BUNDLE_FORMAT, redactedEntry(entries[1]!), 2, leaves, `procuration.test/journal/${CHAIN}`))).toMatch(
      /^checkpoint: .*origin ending \/journal\/v2\//,
    );
  });

  it('still accepts a format-1 bundle over tree version 1 (whole entries as leaves, the old origin), and nothing else under that format', () => {
    const sealed = entries.map(({ requestSalt: _salt, ...entry }) => entry as SealedJournalEntry);
    const v1 = bundleOf(PROOF_BUNDLE_FORMAT_V1, sealed[3]!, 4, sealed.map(merkleLeafV1), `procuration.test/journal/${CHAIN}`);
    expect(verifyProofBundle(v1, [verifier])).toMatchObject({ requestFacts: 'revealed', checkpoint: { size: 5 } });
    // The same content claimed as format 2 is refused (no salt, the wrong tree).
    expect(refusal({ ...v1, format: PROOF_BUNDLE_FORMAT })).toMatch(/^entry: .*no member requestSalt/);
    expect(refusal({ ...v1, format: 'procuration-journal-inclusion-proof/3' })).toMatch(/^format: /);
  });
});
