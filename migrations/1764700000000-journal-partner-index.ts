import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Supervision searches a structure's journal by partner service (the
 * partners its aidants signed in to): one more keyset index in the shape of
 * the journal's own, newest first on (at, id) within a chain.
 */
export class JournalPartnerIndex1764700000000 implements MigrationInterface {
  name = 'JournalPartnerIndex1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX journal_entries_chain_partner_idx ON journal_entries (chain, partner_id, at, id)
        WHERE partner_id IS NOT NULL
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX journal_entries_chain_partner_idx`);
  }
}
