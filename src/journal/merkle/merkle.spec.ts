/**
 * Against a reference written straight from RFC 9162's recursive
 * definitions (MTH, PATH, SUBPROOF) over the leaves themselves, for every
 * size up to 300 (inclusion) and every pair of sizes up to 80 (consistency).
 */
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  EMPTY_ROOT,
  InMemoryMerkleTree,
  MerkleProofError,
  type MerkleNodeStore,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootAt,
  verifyConsistency,
  verifyInclusion,
} from './index.js';

const MAX_SIZE = 300;
const MAX_PAIR_SIZE = 80;

const leaves = Array.from({ length: MAX_SIZE }, (_, i) => Buffer.from(`entry ${i} ${'x'.repeat(i % 7)}`));
const tree = new InMemoryMerkleTree();
leaves.forEach((leaf) => tree.append(leaf));

/** k < n ≤ 2k, by the RFC's definition. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const memo = new Map<string, Buffer>();
function mth(start: number, end: number): Buffer {
  const key = `${start}:${end}`;
  const known = memo.get(key);
  if (known) return known;
  let hash: Buffer;
  if (end === start) hash = EMPTY_ROOT;
  else if (end - start === 1) hash = leafHash(leaves[start]);
  else hash = nodeHash(mth(start, start + split(end - start)), mth(start + split(end - start), end));
  memo.set(key, hash);
  return hash;
}

function path(m: number, start: number, end: number): Buffer[] {
  if (end - start <= 1) return [];
  const k = split(end - start);
  return m < k ? [...path(m, start, start + k), mth(start + k, end)] : [...path(m - k, start + k, end), mth(start, start + k)];
}

function subproof(m: number, start: number, end: number, whole: boolean): Buffer[] {
  if (m === end - start) return whole ? [] : [mth(start, end)];
  const k = split(end - start);
  return m <= k
    ? [...subproof(m, start, start + k, whole), mth(start + k, end)]
    : [...subproof(m - k, start + k, end, false), mth(start, start + k)];
}

const hex = (hashes: Buffer[]) => hashes.map((hash) => hash.toString('hex')).join(',');

/** Outcome of a check, as a word (jest's deep equality on thousands of buffers is slow). */
function outcome(check: () => void): string {
  try {
    check();
    return 'accepted';
  } catch (error) {
    if (error instanceof MerkleProofError) return error.fault;
    throw error;
  }
}

function flipped(proof: Buffer[], position: number): Buffer[] {
  return proof.map((hash, i) => {
    if (i !== position) return hash;
    const copy = Buffer.from(hash);
    copy[i % copy.length] ^= 0x01;
    return copy;
  });
}

function refusal(check: () => void): MerkleProofError {
  try {
    check();
  } catch (error) {
    if (error instanceof MerkleProofError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('Merkle tree against the RFC 9162 definitions', () => {
  it('has the root of the reference for every size', () => {
    const wrong: number[] = [];
    for (let size = 0; size <= MAX_SIZE; size += 1) if (!rootAt(tree, size).equals(mth(0, size))) wrong.push(size);
    expect(wrong).toEqual([]);
  });

  it('makes and verifies every inclusion proof, and refuses one with a hash changed', () => {
    const wrong: string[] = [];
    let checked = 0;
    for (let size = 1; size <= MAX_SIZE; size += 1) {
      const root = mth(0, size);
      for (let index = 0; index < size; index += 1) {
        const proof = inclusionProof(tree, index, size);
        const claim = { index, size, leafHash: leafHash(leaves[index]), proof, root };
        if (hex(proof) !== hex(path(index, 0, size))) wrong.push(`${index}/${size}: generated path`);
        if (outcome(() => verifyInclusion(claim)) !== 'accepted') wrong.push(`${index}/${size}: refused`);
        if (proof.length > 0 && (index + size) % 5 === 0) {
          const changed = outcome(() => verifyInclusion({ ...claim, proof: flipped(proof, (index * 7) % proof.length) }));
          if (changed !== 'root-mismatch') wrong.push(`${index}/${size}: changed path ${changed}`);
        }
        checked += 1;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe((MAX_SIZE * (MAX_SIZE + 1)) / 2);
  });

  it('makes and verifies every consistency proof, and refuses each one with a hash changed', () => {
    const wrong: string[] = [];
    for (let newSize = 1; newSize <= MAX_PAIR_SIZE; newSize += 1) {
      for (let oldSize = 1; oldSize <= newSize; oldSize += 1) {
        const proof = consistencyProof(tree, oldSize, newSize);
        const claim = { oldSize, newSize, oldRoot: mth(0, oldSize), newRoot: mth(0, newSize), proof };
        if (hex(proof) !== hex(subproof(oldSize, 0, newSize, true))) wrong.push(`${oldSize}→${newSize}: generated proof`);
        if (outcome(() => verifyConsistency(claim)) !== 'accepted') wrong.push(`${oldSize}→${newSize}: refused`);
        for (let position = 0; position < proof.length; position += 1) {
          if (outcome(() => verifyConsistency({ ...claim, proof: flipped(proof, position) })) === 'accepted') {
            wrong.push(`${oldSize}→${newSize}: accepted with hash ${position} changed`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a consistency proof between two different histories of the same sizes', () => {
    const forked = new InMemoryMerkleTree();
    leaves.slice(0, 40).forEach((leaf, i) => forked.append(i === 17 ? Buffer.from('rewritten') : leaf));
    const proof = consistencyProof(forked, 20, 40);
    const error = refusal(() => verifyConsistency({ oldSize: 20, newSize: 40, oldRoot: mth(0, 20), newRoot: rootAt(forked, 40), proof }));
    expect(error.fault).toBe('old-root-mismatch');
    expect(error.message).toBe('the proof does not lead to the root of the old tree of 20 leaves');
  });

  it('a store grown one leaf at a time gives the roots of one built at once', () => {
    const growing = new InMemoryMerkleTree();
    const random = Array.from({ length: 70 }, () => randomBytes(40));
    random.forEach((leaf, i) => {
      growing.append(leaf);
      const whole = new InMemoryMerkleTree();
      random.slice(0, i + 1).forEach((l) => whole.append(l));
      expect(rootAt(growing, i + 1).toString('hex')).toBe(rootAt(whole, i + 1).toString('hex'));
    });
  });
});

describe('Merkle proofs from stored subtrees', () => {
  /** A store of ten million leaves that makes up its node hashes and counts the reads. */
  class CountingStore implements MerkleNodeStore {
    reads: number[] = [];
    size(): number {
      return 10_000_000;
    }
    getNode(level: number, index: number): Buffer {
      if ((index + 1) * 2 ** level > this.size()) throw new RangeError(`node (${level}, ${index}) is not complete`);
      this.reads.push(level);
      return Buffer.alloc(32, (level * 31 + index) % 251);
    }
  }

  it.each([
    ['an inclusion proof', (store: MerkleNodeStore) => inclusionProof(store, 4_321_987, 9_999_999)],
    ['a consistency proof', (store: MerkleNodeStore) => consistencyProof(store, 6_543_210, 9_999_999)],
    ['a root', (store: MerkleNodeStore) => [rootAt(store, 9_999_999)]],
  ])('%s in a tree of ten million leaves reads a few dozen complete nodes, at most two leaves', (_case, make) => {
    const store = new CountingStore();
    make(store);
    expect(store.reads.length).toBeLessThanOrEqual(2 * 24);
    expect(store.reads.filter((level) => level === 0).length).toBeLessThanOrEqual(2);
  });
});

describe('Merkle refusals name what failed', () => {
  const root8 = mth(0, 8);
  const proof = inclusionProof(tree, 3, 8);
  const leaf3 = leafHash(leaves[3]);

  it.each([
    ['index ≥ size', { index: 8, size: 8 }, 'index-out-of-range', 'leaf index 8 is not in a tree of 8 leaves'],
    ['negative index', { index: -1, size: 8 }, 'index-out-of-range', 'leaf index -1 is not in a tree of 8 leaves'],
    ['path too short', { proof: proof.slice(1) }, 'wrong-proof-length', 'inclusion proof of leaf 3 in a tree of 8 leaves has 2 hashes, not 3'],
    ['path too long', { proof: [...proof, proof[0]] }, 'wrong-proof-length', 'inclusion proof of leaf 3 in a tree of 8 leaves has 4 hashes, not 3'],
    ['smaller size', { size: 4 }, 'wrong-proof-length', 'inclusion proof of leaf 3 in a tree of 4 leaves has 3 hashes, not 2'],
    ['root of another size', { root: mth(0, 7) }, 'root-mismatch', 'the audit path of leaf 3 does not lead to the root of the tree of 8 leaves'],
    ['short hash', { proof: [proof[0], proof[1].subarray(0, 31), proof[2]] }, 'wrong-hash-length', 'audit path hash 1 has 31 bytes, not 32'],
    ['other leaf', { leafHash: leafHash(leaves[4]) }, 'root-mismatch', 'the audit path of leaf 3 does not lead to the root of the tree of 8 leaves'],
  ])('inclusion: %s', (_case, change, fault, message) => {
    const error = refusal(() => verifyInclusion({ index: 3, size: 8, leafHash: leaf3, proof, root: root8, ...change }));
    expect([error.fault, error.message]).toEqual([fault, message]);
  });

  const consistency = consistencyProof(tree, 5, 12);
  const base = { oldSize: 5, newSize: 12, oldRoot: mth(0, 5), newRoot: mth(0, 12), proof: consistency };
  it.each([
    ['old size > new size', { oldSize: 13 }, 'sizes-out-of-order', 'old tree size 13 is larger than new tree size 12'],
    ['from the empty tree', { oldSize: 0 }, 'empty-old-tree', 'a consistency proof from the empty tree proves nothing (every tree extends it)'],
    ['wrong length', { proof: consistency.slice(1) }, 'wrong-proof-length', 'consistency proof from 5 to 12 leaves has 4 hashes, not 5'],
    ['equal sizes, proof given', { oldSize: 12, oldRoot: mth(0, 12) }, 'wrong-proof-length', 'between two trees of 12 leaves the proof is empty, not 5 hashes'],
    ['new root changed', { newRoot: mth(0, 11) }, 'root-mismatch', 'the proof does not lead to the root of the new tree of 12 leaves'],
    ['old root changed', { oldRoot: mth(0, 4) }, 'old-root-mismatch', 'the proof does not lead to the root of the old tree of 5 leaves'],
  ])('consistency: %s', (_case, change, fault, message) => {
    const error = refusal(() => verifyConsistency({ ...base, ...change }));
    expect([error.fault, error.message]).toEqual([fault, message]);
  });

  it.each([
    ['a proof for a size beyond the tree', () => inclusionProof(tree, 0, MAX_SIZE + 1), 'size-beyond-tree', `tree size ${MAX_SIZE + 1} is larger than the tree (${MAX_SIZE} leaves)`],
    ['a root beyond the tree', () => rootAt(tree, MAX_SIZE + 5), 'size-beyond-tree', `tree size ${MAX_SIZE + 5} is larger than the tree (${MAX_SIZE} leaves)`],
    ['an index at the size', () => inclusionProof(tree, 10, 10), 'index-out-of-range', 'leaf index 10 is not in a tree of 10 leaves'],
    ['a consistency proof backwards', () => consistencyProof(tree, 9, 8), 'sizes-out-of-order', 'old tree size 9 is larger than new tree size 8'],
    ['a consistency proof beyond the tree', () => consistencyProof(tree, 9, MAX_SIZE + 1), 'size-beyond-tree', `new tree size ${MAX_SIZE + 1} is larger than the tree (${MAX_SIZE} leaves)`],
  ])('generation: %s', (_case, make, fault, message) => {
    const error = refusal(() => void make());
    expect([error.fault, error.message]).toEqual([fault, message]);
  });
});
