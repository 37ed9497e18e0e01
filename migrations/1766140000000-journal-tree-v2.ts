import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Version 2 of the chains' Merkle trees (docs/decisions/0109-journal-leaves-commit-to-request-facts.md):
 * a leaf no longer holds the request facts (IP address, user agent, request
 * id) of whoever acted but a salted SHA-256 commitment to them, so that a
 * usager's proof of an entry carries no other person's data.
 *
 * - `journal_request_salts`: the per-entry random salt of that commitment,
 *   append-only; written by the sealer with each entry, and by the
 *   sequencer's catch-up for entries sealed before this table existed.
 * - `journal_merkle_nodes.tree`: which tree a node belongs to. Existing nodes
 *   are those of tree 1 (whole entries as leaves) and stay, never extended
 *   again; the nodes of tree 2 are built by the sequencer when it first runs
 *   (docs/decisions/0107), since a leaf is canonical JSON made by the application.
 * - `journal_checkpoints.tree`: the tree whose root a checkpoint's note
 *   signs (NULL for the JWS-only checkpoints and the notes signed before: tree 1).
 */
export class JournalTreeV21766140000000 implements MigrationInterface {
  name = 'JournalTreeV21766140000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE journal_request_salts (
        chain   text NOT NULL,
        seq     bigint NOT NULL CHECK (seq >= 1),
        salt    bytea NOT NULL CHECK (length(salt) = 16),
        PRIMARY KEY (chain, seq)
      )
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_request_salts_append_only BEFORE UPDATE OR DELETE ON journal_request_salts
        FOR EACH ROW EXECUTE FUNCTION journal_refuse_change()
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_request_salts_no_truncate BEFORE TRUNCATE ON journal_request_salts
        FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change()
    `);
    // A constant default fills existing rows without rewriting them (no UPDATE reaches the triggers).
    await queryRunner.query(`ALTER TABLE journal_merkle_nodes ADD COLUMN tree smallint NOT NULL DEFAULT 1 CHECK (tree IN (1, 2))`);
    await queryRunner.query(`ALTER TABLE journal_merkle_nodes ALTER COLUMN tree DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE journal_merkle_nodes DROP CONSTRAINT journal_merkle_nodes_pkey`);
    await queryRunner.query(`ALTER TABLE journal_merkle_nodes ADD PRIMARY KEY (chain, tree, level, idx)`);
    await queryRunner.query(`ALTER TABLE journal_checkpoints ADD COLUMN tree smallint CHECK (tree IN (1, 2))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE journal_checkpoints DROP COLUMN tree`);
    await queryRunner.query(`ALTER TABLE journal_merkle_nodes DROP CONSTRAINT journal_merkle_nodes_pkey`);
    await queryRunner.query(`ALTER TABLE journal_merkle_nodes ADD PRIMARY KEY (chain, level, idx)`);
    await queryRunner.query(`ALTER TABLE journal_merkle_nodes DROP COLUMN tree`);
    await queryRunner.query(`DROP TABLE journal_request_salts`);
  }
}
