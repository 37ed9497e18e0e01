/**
 * Appending to a tree kept as complete subtrees (merkle.store.ts) needs only
 * its right frontier: for a tree of n leaves, the complete node at each level
 * whose bit is set in n (the "peaks", left to right the binary decomposition
 * of n). A new leaf at index n becomes node (0, n); each time a new node is a
 * right child, its left sibling is the peak of its level and their parent is
 * complete. So a store that sits in a database reads O(log n) hashes to
 * extend a tree by a batch, and writes exactly the nodes that became complete.
 */
import { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './merkle.hash.js';

/** A complete node, named as in MerkleNodeStore. */
export interface MerkleNode {
  level: number;
  index: number;
  hash: Buffer;
}

/** The (level, index) of the peaks of a tree of `size` leaves, lowest level first. */
export function peakPositions(size: number): { level: number; index: number }[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`${size} is not a tree size`);
  const peaks: { level: number; index: number }[] = [];
  for (let level = 0, width = 1; width <= size; level += 1, width *= 2) {
    const covered = Math.floor(size / width);
    if (covered % 2 === 1) peaks.push({ level, index: covered - 1 });
  }
  return peaks;
}

export class MerkleFrontier {
  private readonly peaks = new Map<number, Buffer>();
  private leaves: number;

  /** `peaks`: the hashes at peakPositions(size), in any order. */
  constructor(size: number, peaks: readonly MerkleNode[]) {
    const expected = peakPositions(size);
    for (const { level, index } of expected) {
      const node = peaks.find((p) => p.level === level && p.index === index);
      if (!node) throw new Error(`the tree of ${size} leaves lacks its node at level ${level}, index ${index}`);
      if (node.hash.length !== HASH_SIZE) throw new RangeError(`a node hash has ${HASH_SIZE} bytes, not ${node.hash.length}`);
      this.peaks.set(level, node.hash);
    }
    this.leaves = size;
  }

  size(): number {
    return this.leaves;
  }

  /**
   * The root of the tree at its current size: the peaks folded from the
   * lowest up, each higher peak the left child (RFC 9162 splits at the
   * largest power of two, so the left part is always the bigger complete one).
   */
  root(): Buffer {
    let root: Buffer | null = null;
    for (const level of [...this.peaks.keys()].sort((a, b) => a - b)) {
      const peak = this.peaks.get(level)!;
      root = root === null ? peak : nodeHash(peak, root);
    }
    return root ?? Buffer.from(EMPTY_ROOT);
  }

  /** Appends one leaf (its bytes); returns the nodes that became complete, the leaf's own first. */
  append(leaf: Uint8Array): MerkleNode[] {
    const index = this.leaves;
    let hash = leafHash(leaf);
    const written: MerkleNode[] = [{ level: 0, index, hash }];
    let level = 0;
    let position = index;
    while (position % 2 === 1) {
      const left = this.peaks.get(level);
      if (!left) throw new Error(`merkle frontier lost its node at level ${level}`);
      this.peaks.delete(level);
      hash = nodeHash(left, hash);
      level += 1;
      position = (position - 1) / 2;
      written.push({ level, index: position, hash });
    }
    this.peaks.set(level, hash);
    this.leaves += 1;
    return written;
  }
}
