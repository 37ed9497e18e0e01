/**
 * The published vectors of transparency-dev/merkle (see testdata/README.md):
 * every happy path verifies, every altered one is refused.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemoryMerkleTree, MerkleProofError, consistencyProof, inclusionProof, rootAt, verifyConsistency, verifyInclusion } from './index.js';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'transparency-dev-merkle');

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

const b64 = (text: string) => Buffer.from(text, 'base64');

interface InclusionVector { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean }
interface ConsistencyVector { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean }

const load = <T>(kind: string) =>
  jsonFiles(join(VECTORS, kind)).map((path) => [relative(VECTORS, path), JSON.parse(readFileSync(path, 'utf8')) as T] as const);

const inclusion = load<InclusionVector>('inclusion');
const consistency = load<ConsistencyVector>('consistency');

function outcome(check: () => void): 'accepted' | 'refused' {
  try {
    check();
    return 'accepted';
  } catch (error) {
    if (!(error instanceof MerkleProofError)) throw error;
    return 'refused';
  }
}

describe('transparency-dev/merkle vectors', () => {
  it('are all there', () => {
    expect(inclusion.length).toBeGreaterThan(80);
    expect(consistency.length).toBeGreaterThan(90);
  });

  it.each(inclusion)('inclusion %s', (_name, v) => {
    const result = outcome(() =>
      verifyInclusion({ index: v.leafIdx, size: v.treeSize, leafHash: b64(v.leafHash), proof: (v.proof ?? []).map(b64), root: b64(v.root) }),
    );
    expect(result).toBe(v.wantErr ? 'refused' : 'accepted');
  });

  it.each(consistency)('consistency %s', (_name, v) => {
    const result = outcome(() =>
      verifyConsistency({ oldSize: v.size1, newSize: v.size2, oldRoot: b64(v.root1), newRoot: b64(v.root2), proof: (v.proof ?? []).map(b64) }),
    );
    expect(result).toBe(v.wantErr ? 'refused' : 'accepted');
  });

  it('the generator makes the happy-path proofs of the published tree', () => {
    const tree = new InMemoryMerkleTree();
    for (const hex of ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f']) {
      tree.append(Buffer.from(hex, 'hex'));
    }
    expect(rootAt(tree, 8).toString('hex')).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
    const happy = (name: string) => name.endsWith('happy-path.json');
    for (const [, v] of inclusion.filter(([name]) => happy(name))) {
      expect(inclusionProof(tree, v.leafIdx, v.treeSize).map((h) => h.toString('base64'))).toEqual(v.proof ?? []);
      expect(rootAt(tree, v.treeSize).toString('base64')).toBe(v.root);
    }
    for (const [, v] of consistency.filter(([name]) => happy(name) && !name.startsWith('consistency/0'))) {
      expect(consistencyProof(tree, v.size1, v.size2).map((h) => h.toString('base64'))).toEqual(v.proof ?? []);
    }
  });
});
