/**
 * Proof verification of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
 * (consistency). Needs nothing but hashes: this is what a usager's copy of a
 * proof bundle, or a witness, runs. The expected number of hashes is checked
 * first so that a path of the wrong length is refused as such rather than as
 * a root that does not match.
 */
import { HASH_SIZE, nodeHash } from './merkle.hash.js';
import { MerkleProofError } from './merkle.errors.js';
import { bitLength, isPowerOfTwo, onesCount, trailingZeros, xor } from './merkle.math.js';

export interface InclusionClaim {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}

export interface ConsistencyClaim {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: readonly Uint8Array[];
}

/** Hashes on an audit path below the split of `index` from the tree's last leaf, and on the right border above it. */
function pathShape(index: number, size: number): { inner: number; border: number } {
  const inner = bitLength(xor(index, size - 1));
  return { inner, border: onesCount(Math.floor(index / 2 ** inner)) };
}

/** The number of hashes in PATH(index, D[0:size]). */
export function inclusionProofLength(index: number, size: number): number {
  const { inner, border } = pathShape(index, size);
  return inner + border;
}

/** The number of hashes in PROOF(oldSize, D[0:newSize]), 0 < oldSize < newSize. */
export function consistencyProofLength(oldSize: number, newSize: number): number {
  const { inner, border } = pathShape(oldSize - 1, newSize);
  return (isPowerOfTwo(oldSize) ? 0 : 1) + inner - trailingZeros(oldSize) + border;
}

function requireHashes(proof: readonly Uint8Array[], what: string): void {
  proof.forEach((hash, position) => {
    if (hash.length !== HASH_SIZE) {
      throw new MerkleProofError('wrong-hash-length', `${what} hash ${position} has ${hash.length} bytes, not ${HASH_SIZE}`);
    }
  });
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Refuses the claim unless its proof leads from the leaf hash to the root. */
export function verifyInclusion(claim: InclusionClaim): void {
  const { index, size, proof } = claim;
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new MerkleProofError('index-out-of-range', `leaf index ${index} is not in a tree of ${size} leaves`);
  }
  requireHashes([claim.leafHash], 'leaf');
  const expected = inclusionProofLength(index, size);
  if (proof.length !== expected) {
    throw new MerkleProofError(
      'wrong-proof-length',
      `inclusion proof of leaf ${index} in a tree of ${size} leaves has ${proof.length} hashes, not ${expected}`,
    );
  }
  requireHashes(proof, 'audit path');
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(claim.leafHash);
  for (const p of proof) {
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !sameHash(r, claim.root)) {
    throw new MerkleProofError('root-mismatch', `the audit path of leaf ${index} does not lead to the root of the tree of ${size} leaves`);
  }
}

/** Refuses the claim unless the tree of newSize leaves extends the tree of oldSize leaves. */
export function verifyConsistency(claim: ConsistencyClaim): void {
  const { oldSize, newSize, proof } = claim;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    throw new MerkleProofError('sizes-out-of-order', `old tree size ${oldSize} is larger than new tree size ${newSize}`);
  }
  if (oldSize === 0) {
    throw new MerkleProofError('empty-old-tree', 'a consistency proof from the empty tree proves nothing (every tree extends it)');
  }
  if (oldSize === newSize) {
    if (proof.length !== 0) {
      throw new MerkleProofError('wrong-proof-length', `between two trees of ${oldSize} leaves the proof is empty, not ${proof.length} hashes`);
    }
    if (!sameHash(claim.oldRoot, claim.newRoot)) {
      throw new MerkleProofError('root-mismatch', `two trees of ${oldSize} leaves with different roots`);
    }
    return;
  }
  const expected = consistencyProofLength(oldSize, newSize);
  if (proof.length !== expected) {
    throw new MerkleProofError(
      'wrong-proof-length',
      `consistency proof from ${oldSize} to ${newSize} leaves has ${proof.length} hashes, not ${expected}`,
    );
  }
  requireHashes(proof, 'consistency proof');
  const path = isPowerOfTwo(oldSize) ? [claim.oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0]);
  let sr: Buffer = Buffer.from(path[0]);
  for (const c of path.slice(1)) {
    if (sn === 0) {
      throw new MerkleProofError('wrong-proof-length', `consistency proof from ${oldSize} to ${newSize} leaves is too long`);
    }
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0 || !sameHash(fr, claim.oldRoot)) {
    throw new MerkleProofError('old-root-mismatch', `the proof does not lead to the root of the old tree of ${oldSize} leaves`);
  }
  if (!sameHash(sr, claim.newRoot)) {
    throw new MerkleProofError('root-mismatch', `the proof does not lead to the root of the new tree of ${newSize} leaves`);
  }
}
