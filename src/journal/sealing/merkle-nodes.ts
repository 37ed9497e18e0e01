/**
 * The chains' Merkle trees in the database (docs/decisions/0104): table
 * `journal_merkle_nodes`, one row per complete subtree (chain, level, idx,
 * hash). The sealer extends a chain's tree in the transaction that seals its
 * entries, reading only the tree's peaks; proofs and roots read the O(log n)
 * nodes they need in one query.
 */
import { HASH_SIZE } from '../merkle/merkle.hash.js';
import { MerkleFrontier, peakPositions, type MerkleNode } from '../merkle/merkle.frontier.js';
import type { MerkleNodeStore } from '../merkle/merkle.store.js';
import { preparedStatement, type PreparedStatement } from '../../database/prepared-statement.js';

/** Runs one statement (prepared on hot paths, plain in a migration) and returns its rows. */
export type NodeQuery = <R extends Record<string, unknown>>(statement: PreparedStatement, values: unknown[]) => Promise<R[]>;

export const MERKLE_SQL = {
  read: preparedStatement(
    'journal_merkle_read',
    `SELECT k.chain, k.level, k.idx, n.hash
       FROM unnest($1::text[], $2::int[], $3::bigint[]) AS k(chain, level, idx)
       JOIN journal_merkle_nodes n ON n.chain = k.chain AND n.level = k.level AND n.idx = k.idx`,
  ),
  write: preparedStatement(
    'journal_merkle_write',
    `INSERT INTO journal_merkle_nodes (chain, level, idx, hash)
     SELECT chain, level, idx, decode(hash, 'hex') FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[]) AS x(chain, level, idx, hash)`,
  ),
};

interface NodeKey {
  chain: string;
  level: number;
  index: number;
}

const keyOf = (chain: string, level: number, index: number) => `${chain}\u0000${level}\u0000${index}`;

/** Reads the given nodes; a missing one is absent from the map. */
export async function readNodes(query: NodeQuery, keys: readonly NodeKey[]): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  if (keys.length === 0) return found;
  const rows = await query<{ chain: string; level: number; idx: string | number; hash: Buffer }>(MERKLE_SQL.read, [
    keys.map((k) => k.chain),
    keys.map((k) => k.level),
    keys.map((k) => k.index),
  ]);
  for (const row of rows) found.set(keyOf(row.chain, Number(row.level), Number(row.idx)), row.hash);
  return found;
}

/** A complete node of one chain's tree. */
export interface ChainNode extends MerkleNode {
  chain: string;
}

/** Writes nodes that became complete (the table refuses a node written twice). */
export async function writeNodes(query: NodeQuery, nodes: readonly ChainNode[]): Promise<void> {
  if (nodes.length === 0) return;
  await query(MERKLE_SQL.write, [nodes.map((n) => n.chain), nodes.map((n) => n.level), nodes.map((n) => n.index), nodes.map((n) => n.hash.toString('hex'))]);
}

/** The frontiers of the given chains at their current sizes (one query for all). */
export async function loadFrontiers(query: NodeQuery, sizes: ReadonlyMap<string, number>): Promise<Map<string, MerkleFrontier>> {
  const keys: NodeKey[] = [];
  for (const [chain, size] of sizes) for (const peak of peakPositions(size)) keys.push({ chain, ...peak });
  const found = await readNodes(query, keys);
  const frontiers = new Map<string, MerkleFrontier>();
  for (const [chain, size] of sizes) {
    const peaks = peakPositions(size).map(({ level, index }) => {
      const hash = found.get(keyOf(chain, level, index));
      if (!hash) throw new Error(`journal chain ${chain} has no Merkle node at level ${level}, index ${index} (size ${size})`);
      return { level, index, hash };
    });
    frontiers.set(chain, new MerkleFrontier(size, peaks));
  }
  return frontiers;
}

/**
 * Runs `compute` (a root or a proof: merkle.proofs.ts) over the stored tree
 * of `chain` at `size` leaves. The nodes a root or proof reads depend on the
 * sizes and indexes only, never on hash values: a first dry run with
 * placeholder hashes lists them, one query reads them, the real run follows.
 */
export async function withStoredTree<T>(
  query: NodeQuery,
  chain: string,
  size: number,
  compute: (store: MerkleNodeStore) => T,
): Promise<T> {
  const wanted = new Map<string, NodeKey>();
  const placeholder = Buffer.alloc(HASH_SIZE);
  compute({
    size: () => size,
    getNode: (level, index) => {
      wanted.set(keyOf(chain, level, index), { chain, level, index });
      return placeholder;
    },
  });
  const found = await readNodes(query, [...wanted.values()]);
  return compute({
    size: () => size,
    getNode: (level, index) => {
      const hash = found.get(keyOf(chain, level, index));
      if (!hash) throw new Error(`journal chain ${chain} has no Merkle node at level ${level}, index ${index} (size ${size})`);
      return hash;
    },
  });
}
