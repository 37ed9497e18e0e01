import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Witnesses of the journal (docs/decisions/0108-journal-witnesses.md): the
 * cosignatures each configured witness returned for a checkpoint note, and
 * per witness and chain what the sender needs: the size the witness last
 * cosigned (the `old` of the next request), the last error and when to try
 * again, and the size of a checkpoint it refused as inconsistent.
 * A witness is named by its verifier key.
 */
export class JournalWitnessCosignatures1766120000000 implements MigrationInterface {
  name = 'JournalWitnessCosignatures1766120000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE journal_witness_cosignatures (
        chain text NOT NULL,
        seq bigint NOT NULL,
        witness text NOT NULL,
        cosignature text NOT NULL,
        cosigned_at timestamptz NOT NULL,
        PRIMARY KEY (chain, seq, witness),
        FOREIGN KEY (chain, seq) REFERENCES journal_checkpoints (chain, seq)
      )
    `);
    await queryRunner.query(`
      CREATE TABLE journal_witness_state (
        witness text NOT NULL,
        chain text NOT NULL,
        cosigned_size bigint NOT NULL DEFAULT 0 CHECK (cosigned_size >= 0),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        last_error_at timestamptz,
        next_attempt_at timestamptz,
        refused_seq bigint,
        PRIMARY KEY (witness, chain)
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE journal_witness_state`);
    await queryRunner.query(`DROP TABLE journal_witness_cosignatures`);
  }
}
