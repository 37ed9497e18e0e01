import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Checkpoints as C2SP signed notes too (docs/decisions/0106-journal-c2sp-checkpoints.md):
 * the service key store gains the journal's Ed25519 note key (purpose
 * `journal-note`, rotated and encrypted at rest like the others), and each
 * checkpoint signed from now on keeps its tlog-checkpoint note beside the
 * JWS. Checkpoints signed before stay as they are (the table is append-only):
 * their `note` is null.
 */
export class JournalCheckpointNotes1766110001000 implements MigrationInterface {
  name = 'JournalCheckpointNotes1766110001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE service_keys DROP CONSTRAINT service_keys_purpose_check`);
    await queryRunner.query(`ALTER TABLE service_keys DROP CONSTRAINT service_keys_alg_check`);
    await queryRunner.query(`
      ALTER TABLE service_keys
        ADD CONSTRAINT service_keys_purpose_check CHECK (purpose IN ('journal', 'journal-note', 'attestation', 'provider')),
        ADD CONSTRAINT service_keys_alg_check CHECK (alg IN ('ES256', 'RS256', 'Ed25519'))
    `);
    await queryRunner.query(`ALTER TABLE journal_checkpoints ADD COLUMN note text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE journal_checkpoints DROP COLUMN note`);
    await queryRunner.query(`DELETE FROM service_keys WHERE purpose = 'journal-note'`);
    await queryRunner.query(`ALTER TABLE service_keys DROP CONSTRAINT service_keys_purpose_check`);
    await queryRunner.query(`ALTER TABLE service_keys DROP CONSTRAINT service_keys_alg_check`);
    await queryRunner.query(`
      ALTER TABLE service_keys
        ADD CONSTRAINT service_keys_purpose_check CHECK (purpose IN ('journal', 'attestation', 'provider')),
        ADD CONSTRAINT service_keys_alg_check CHECK (alg IN ('ES256', 'RS256'))
    `);
  }
}
