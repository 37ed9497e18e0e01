/**
 * Roots and proofs of RFC 9162 §2.1, computed from a MerkleNodeStore: every
 * hash is either a stored complete node or combined from O(log n) of them,
 * so no leaf is read and a proof costs O(log n) store reads.
 */
import { EMPTY_ROOT, nodeHash } from './merkle.hash.js';
import { MerkleProofError } from './merkle.errors.js';
import type { MerkleNodeStore } from './merkle.store.js';
import { bitLength, isPowerOfTwo, largestPowerOfTwoBelow } from './merkle.math.js';

/**
 * MTH(D[start:end]). The RFC's recursion only asks for ranges whose start
 * is a multiple of the largest power of two not above their length, so an
 * aligned power-of-two range is exactly one stored node.
 */
function rangeHash(store: MerkleNodeStore, start: number, end: number): Buffer {
  const width = end - start;
  if (width === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(width) && start % width === 0) return store.getNode(bitLength(width) - 1, start / width);
  const k = largestPowerOfTwoBelow(width);
  return nodeHash(rangeHash(store, start, start + k), rangeHash(store, start + k, end));
}

function requireSizeInTree(store: MerkleNodeStore, size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new MerkleProofError('size-beyond-tree', `${what} ${size} is not a tree size`);
  }
  if (size > store.size()) {
    throw new MerkleProofError('size-beyond-tree', `${what} ${size} is larger than the tree (${store.size()} leaves)`);
  }
}

/** Root hash of the tree's first `size` leaves. */
export function rootAt(store: MerkleNodeStore, size: number): Buffer {
  requireSizeInTree(store, size, 'tree size');
  return rangeHash(store, 0, size);
}

/** PATH(index, D[0:size]): the audit path of leaf `index` in the tree of `size` leaves, leaf side first. */
export function inclusionProof(store: MerkleNodeStore, index: number, size: number): Buffer[] {
  requireSizeInTree(store, size, 'tree size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new MerkleProofError('index-out-of-range', `leaf index ${index} is not in a tree of ${size} leaves`);
  }
  const path: Buffer[] = [];
  let start = 0;
  let end = size;
  // Walk down from the root; each step records the sibling subtree, so the
  // path is built root side first and reversed at the end.
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (index < start + k) {
      path.push(rangeHash(store, start + k, end));
      end = start + k;
    } else {
      path.push(rangeHash(store, start, start + k));
      start += k;
    }
  }
  return path.reverse();
}

/** PROOF(oldSize, D[0:newSize]): the consistency proof between two sizes of the tree. */
export function consistencyProof(store: MerkleNodeStore, oldSize: number, newSize: number): Buffer[] {
  requireSizeInTree(store, newSize, 'new tree size');
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
    throw new MerkleProofError('sizes-out-of-order', `old tree size ${oldSize} is larger than new tree size ${newSize}`);
  }
  if (oldSize === 0) {
    throw new MerkleProofError('empty-old-tree', 'no consistency proof starts from the empty tree (every tree extends it)');
  }
  const proof: Buffer[] = [];
  // SUBPROOF(m, D[start:end], whole), iterative; `whole` says whether
  // D[start:start+m] is a prefix of the old tree the verifier already has.
  let m = oldSize;
  let start = 0;
  let end = newSize;
  let whole = true;
  while (m !== end - start) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m <= k) {
      proof.push(rangeHash(store, start + k, end));
      end = start + k;
    } else {
      proof.push(rangeHash(store, start, start + k));
      start += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) proof.push(rangeHash(store, start, end));
  return proof.reverse();
}
