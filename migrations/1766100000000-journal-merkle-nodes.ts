import type { MigrationInterface, QueryRunner } from 'typeorm';
import { merkleLeaf } from '../src/journal/entries/hash-chain.js';
import { ENTRY_COLUMNS, entryOf, type SealedRow } from '../src/journal/entries/entry-rows.js';
import { loadFrontiers, writeNodes, type ChainNode, type NodeQuery } from '../src/journal/sealing/merkle-nodes.js';

/** Entries read per round while building the trees of existing chains. */
const PAGE = 5000;

/**
 * Each chain's RFC 9162 Merkle tree, kept as its complete subtrees
 * (docs/decisions/0104-journal-merkle-tree.md): row (chain, level, idx) is
 * the hash of leaves [idx·2^level, (idx+1)·2^level) of the chain, level 0
 * being the leaf hashes; leaf i is the entry with seq i + 1. Append-only like
 * the rest of the journal. The sealer writes the nodes that become complete
 * in the transaction that seals their entries; this migration builds the
 * trees of the chains that already exist, entry by entry in seq order, with
 * the sealer's own code (the leaf is canonical JSON, computed in the
 * application, as for the chain hash). The tree covers the entries as
 * recorded; checking their chain hashes stays the verification's job
 * (docs/journal.md), so a damaged chain is reported there, not by a failed
 * migration that would keep the service down.
 */
export class JournalMerkleNodes1766100000000 implements MigrationInterface {
  name = 'JournalMerkleNodes1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE journal_merkle_nodes (
        chain   text NOT NULL,
        level   smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
        idx     bigint NOT NULL CHECK (idx >= 0),
        hash    bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (chain, level, idx)
      )
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_merkle_nodes_append_only BEFORE UPDATE OR DELETE ON journal_merkle_nodes
        FOR EACH ROW EXECUTE FUNCTION journal_refuse_change()
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_merkle_nodes_no_truncate BEFORE TRUNCATE ON journal_merkle_nodes
        FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change()
    `);

    const query: NodeQuery = (statement, values) => queryRunner.query(statement.text, values);
    const chains: { chain: string }[] = await queryRunner.query(`SELECT DISTINCT chain FROM journal_entries ORDER BY chain`);
    for (const { chain } of chains) {
      let size = 0;
      for (;;) {
        const rows: SealedRow[] = await queryRunner.query(
          `SELECT ${ENTRY_COLUMNS.join(', ')}, seq, prev_hash, hash FROM journal_entries
            WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
          [chain, size],
        );
        if (rows.length === 0) break;
        const frontier = (await loadFrontiers(query, new Map([[chain, size]]))).get(chain)!;
        const nodes: ChainNode[] = [];
        for (const row of rows) {
          const seq = Number(row.seq);
          if (seq !== size + 1) throw new Error(`journal chain ${chain}: entry ${seq} follows ${size}, the chain has a gap`);
          for (const node of frontier.append(merkleLeaf(entryOf(row, seq)))) nodes.push({ chain, ...node });
          size = seq;
        }
        await writeNodes(query, nodes);
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE journal_merkle_nodes`);
  }
}
