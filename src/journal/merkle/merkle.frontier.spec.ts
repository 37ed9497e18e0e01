import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { MerkleFrontier, peakPositions, type MerkleNode } from './merkle.frontier.js';
import { rootAt } from './merkle.proofs.js';
import { InMemoryMerkleTree } from './merkle.store.js';

describe('Merkle frontier (extending a stored tree)', () => {
  it('names the peaks of a size as its binary decomposition', () => {
    expect(peakPositions(0)).toEqual([]);
    expect(peakPositions(1)).toEqual([{ level: 0, index: 0 }]);
    expect(peakPositions(6)).toEqual([
      { level: 1, index: 2 },
      { level: 2, index: 0 },
    ]);
    expect(peakPositions(13)).toEqual([
      { level: 0, index: 12 },
      { level: 2, index: 2 },
      { level: 3, index: 0 },
    ]);
  });

  it('writes exactly the complete nodes of the tree, batch after batch, reading only the peaks', () => {
    const leaves = Array.from({ length: 300 }, () => randomBytes(1 + Math.floor(Math.random() * 40)));
    const reference = new InMemoryMerkleTree();
    const stored = new Map<string, Buffer>();
    let size = 0;
    for (const batch of [1, 2, 3, 7, 16, 1, 50, 100, 120]) {
      const peaks: MerkleNode[] = peakPositions(size).map(({ level, index }) => ({
        level,
        index,
        hash: stored.get(`${level}/${index}`)!,
      }));
      const frontier = new MerkleFrontier(size, peaks);
      for (const leaf of leaves.slice(size, size + batch)) {
        reference.append(leaf);
        for (const node of frontier.append(leaf)) {
          const key = `${node.level}/${node.index}`;
          expect(stored.has(key)).toBe(false);
          expect(node.hash).toEqual(reference.getNode(node.level, node.index));
          stored.set(key, node.hash);
        }
      }
      size += batch;
      expect(frontier.size()).toBe(size);
    }
    // n leaves make n + n/2 + n/4 + … complete nodes: all of them, none twice.
    let expected = 0;
    for (let width = 1; width <= 300; width *= 2) expected += Math.floor(300 / width);
    expect(stored.size).toBe(expected);
    expect(rootAt(reference, 300)).toEqual(rootAt({ size: () => 300, getNode: (l, i) => stored.get(`${l}/${i}`)! }, 300));
  });

  it('gives the root of every size, as the tree computes it (the offline check of an export folds its entries so)', () => {
    const tree = new InMemoryMerkleTree();
    const frontier = new MerkleFrontier(0, []);
    expect(frontier.root()).toEqual(rootAt(tree, 0));
    for (let size = 1; size <= 130; size++) {
      const leaf = randomBytes(1 + (size % 40));
      tree.append(leaf);
      frontier.append(leaf);
      expect(frontier.root().toString('hex')).toBe(rootAt(tree, size).toString('hex'));
    }
  });

  it('refuses to start without a peak', () => {
    expect(() => new MerkleFrontier(3, [])).toThrow('the tree of 3 leaves lacks its node at level 0, index 2');
  });
});
