/**
 * Where the tree's hashes live. A node is named by its level and its index
 * within the level: node (level, index) is the root of the complete subtree
 * over leaves [index·2^level, (index+1)·2^level). Level 0 holds the leaf
 * hashes. Only complete subtrees are stored: they never change once the last
 * of their leaves is appended, so a store is append-only like the journal.
 *
 * With every complete node kept, any root and any proof needs O(log n) reads
 * and never the leaves themselves. The database store will keep the same
 * thing as rows (chain, level, index, hash): about two hashes per entry
 * (n leaves + n/2 + n/4 + … nodes above them), written by the sealer in the
 * transaction that seals the entries. A tiled layout (C2SP tlog-tiles: 256
 * hashes per row, levels grouped by eight) is the same numbering packed
 * differently, and can replace it behind this interface.
 */
import { HASH_SIZE, leafHash, nodeHash } from './merkle.hash.js';

export interface MerkleNodeStore {
  /** Number of leaves in the tree. */
  size(): number;
  /**
   * Hash of the complete subtree (level, index); only asked for nodes whose
   * last leaf is below size(). A store that lacks one must throw.
   */
  getNode(level: number, index: number): Buffer;
}

/**
 * Every complete node in memory: what the tests use, and a reference for the
 * database store (append computes exactly the nodes it must write).
 */
export class InMemoryMerkleTree implements MerkleNodeStore {
  private readonly levels: Buffer[][] = [[]];

  /** Appends one leaf (its bytes) and returns its index. */
  append(leaf: Uint8Array): number {
    return this.appendHash(leafHash(leaf));
  }

  /** Appends a leaf given by its leaf hash and returns its index. */
  appendHash(hash: Buffer): number {
    if (hash.length !== HASH_SIZE) throw new RangeError(`a leaf hash has ${HASH_SIZE} bytes, not ${hash.length}`);
    const index = this.levels[0].length;
    this.levels[0].push(hash);
    // Each time the new node is a right child, its parent becomes complete.
    for (let level = 0, position = index; position % 2 === 1; level += 1, position = (position - 1) / 2) {
      const row = this.levels[level];
      const parent = nodeHash(row[position - 1], row[position]);
      if (this.levels.length === level + 1) this.levels.push([]);
      this.levels[level + 1].push(parent);
    }
    return index;
  }

  size(): number {
    return this.levels[0].length;
  }

  getNode(level: number, index: number): Buffer {
    const hash = this.levels[level]?.[index];
    if (!hash) throw new RangeError(`no complete node at level ${level}, index ${index}`);
    return hash;
  }
}
