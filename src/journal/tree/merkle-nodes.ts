/**
 * The chains' Merkle trees in the database (docs/decisions/0104): table
 * `journal_merkle_nodes`, one row per complete subtree (chain, level, idx,
 * hash). The sealer extends a chain's tree in the transaction that seals its
 * entries, reading only the tree's peaks; proofs and roots read the O(log n)
 * nodes they need in one query; `catchUpTrees` builds what older chains lack.
 * Only tree version 2 (docs/decisions/0109) is read and extended; the nodes
 * of version 1 stay in the table for the notes signed over them.
 */
import { HASH_SIZE } from '../merkle/merkle.hash.js';
import { MerkleFrontier, peakPositions, type MerkleNode } from '../merkle/merkle.frontier.js';
import type { MerkleNodeStore } from '../merkle/merkle.store.js';
import type { EntityManager } from 'typeorm';
import { preparedStatement, type PreparedStatement } from '../../database/prepared-statement.js';
import { merkleLeaf, requestCommitment } from '../entries/hash-chain.js';
import { ENTRY_COLUMNS, entryOf, type SealedRow } from '../entries/entry-rows.js';
import { newRequestSalts, writeRequestSalts } from '../entries/request-salts.js';

/** The tree version the journal extends and proves (docs/decisions/0109). */
export const TREE_VERSION = 2;

/** Runs one statement (prepared on hot paths, plain in a migration) and returns its rows. */
export type NodeQuery = (statement: PreparedStatement, values: unknown[]) => Promise<unknown[]>;

export const MERKLE_SQL = {
  read: preparedStatement(
    'journal_merkle_read',
    `SELECT k.chain, k.level, k.idx, n.hash
       FROM unnest($1::text[], $2::int[], $3::bigint[]) AS k(chain, level, idx)
       JOIN journal_merkle_nodes n ON n.chain = k.chain AND n.tree = ${TREE_VERSION} AND n.level = k.level AND n.idx = k.idx`,
  ),
  write: preparedStatement(
    'journal_merkle_write',
    `INSERT INTO journal_merkle_nodes (chain, tree, level, idx, hash)
     SELECT chain, ${TREE_VERSION}, level, idx, decode(hash, 'hex') FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[]) AS x(chain, level, idx, hash)`,
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
  const rows = (await query(MERKLE_SQL.read, [keys.map((k) => k.chain), keys.map((k) => k.level), keys.map((k) => k.index)])) as {
    chain: string;
    level: number;
    idx: string | number;
    hash: Buffer;
  }[];
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

/** Entries read per round while catching a tree up. */
const CATCH_UP_PAGE = 5000;

/**
 * Builds the part of each chain's tree that its entries have and the table
 * lacks: the trees of chains sealed before the table existed (the migration
 * that creates it cannot compute leaves, which are canonical JSON made here),
 * giving the entries sealed before `journal_request_salts` existed their salt.
 * The sequencer runs it once per process, holding its lock, before sealing;
 * afterwards every batch extends the trees itself. Returns the leaves added.
 */
export async function catchUpTrees(manager: EntityManager): Promise<number> {
  const query: NodeQuery = (statement, values) => manager.query(statement.text, values);
  const lagging: { chain: string; size: string; head: string }[] = await manager.query(
    `SELECT c.chain, coalesce(t.size, 0) AS size, h.seq AS head FROM journal_chains c
       JOIN LATERAL (SELECT seq FROM journal_entries e WHERE e.chain = c.chain ORDER BY seq DESC LIMIT 1) h ON true
       LEFT JOIN LATERAL (SELECT idx + 1 AS size FROM journal_merkle_nodes n WHERE n.chain = c.chain AND n.tree = ${TREE_VERSION} AND n.level = 0
                           ORDER BY idx DESC LIMIT 1) t ON true
      WHERE coalesce(t.size, 0) < h.seq`,
  );
  await markIdleChainsUpgraded(manager);
  let added = 0;
  for (const { chain, size: from } of lagging) {
    let size = Number(from);
    for (;;) {
      const rows: (SealedRow & { salt: Buffer | null })[] = await manager.query(
        `SELECT ${ENTRY_COLUMNS.map((c) => `e.${c}`).join(', ')}, e.seq, e.prev_hash, e.hash, s.salt FROM journal_entries e
           LEFT JOIN journal_request_salts s ON s.chain = e.chain AND s.seq = e.seq
          WHERE e.chain = $1 AND e.seq > $2 ORDER BY e.seq LIMIT ${CATCH_UP_PAGE}`,
        [chain, size],
      );
      if (rows.length === 0) break;
      const frontier = (await loadFrontiers(query, new Map([[chain, size]]))).get(chain)!;
      const nodes: ChainNode[] = [];
      const unsalted = rows.filter((row) => row.salt === null);
      const fresh = newRequestSalts(unsalted.length);
      unsalted.forEach((row, i) => (row.salt = fresh[i]!));
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== size + 1) throw new Error(`journal chain ${chain}: entry ${seq} follows ${size}, the chain has a gap`);
        const entry = entryOf(row, seq);
        for (const node of frontier.append(merkleLeaf(entry, requestCommitment(row.salt!, entry.request)))) nodes.push({ chain, ...node });
        size = seq;
      }
      await writeRequestSalts(query, unsalted.map((row) => ({ chain, seq: Number(row.seq), salt: row.salt! })));
      await writeNodes(query, nodes);
      added += rows.length;
    }
  }
  return added;
}

/**
 * A chain whose head is covered only by a checkpoint without a note over
 * tree version 2 (no entry since before the upgrade) could never get one: a
 * checkpoint is one row per (chain, seq). Each such chain gets one entry
 * `journal.tree_upgraded`, which the batch that follows seals, so that the
 * checkpoint of its new head carries a tree-2 note (docs/decisions/0109).
 * Written as a pending row, like an append, in the sequencer's transaction.
 */
async function markIdleChainsUpgraded(manager: EntityManager): Promise<void> {
  await manager.query(
    `INSERT INTO journal_pending (id, chain, action, actor_type, details)
     SELECT gen_random_uuid(), c.chain, 'journal.tree_upgraded', 'system', jsonb_build_object('tree', ${TREE_VERSION})
       FROM journal_chains c
       JOIN LATERAL (SELECT seq FROM journal_entries e WHERE e.chain = c.chain ORDER BY seq DESC LIMIT 1) h ON true
       JOIN LATERAL (SELECT seq, tree FROM journal_checkpoints k WHERE k.chain = c.chain ORDER BY seq DESC LIMIT 1) k ON true
      WHERE k.seq = h.seq AND k.tree IS DISTINCT FROM ${TREE_VERSION}
        AND NOT EXISTS (SELECT 1 FROM journal_pending p WHERE p.chain = c.chain)`,
  );
}
