import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each chain's RFC 9162 Merkle tree, kept as its complete subtrees
 * (docs/decisions/0104-journal-merkle-tree.md): row (chain, level, idx) is
 * the hash of leaves [idx·2^level, (idx+1)·2^level) of the chain, level 0
 * being the leaf hashes; leaf i is the entry with seq i + 1. Append-only like
 * the rest of the journal. The sealer writes the nodes that become complete
 * in the transaction that seals their entries. The trees of chains sealed
 * before this table existed are built by the sequencer when it first runs
 * (`catchUpTrees` in src/journal/tree/merkle-nodes.ts), not here: a leaf is
 * canonical JSON (RFC 8785) made by the application, which SQL cannot
 * reproduce, and migrations import nothing of the application.
 */
export class JournalMerkleNodes1766110000000 implements MigrationInterface {
  name = 'JournalMerkleNodes1766110000000';

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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE journal_merkle_nodes`);
  }
}
