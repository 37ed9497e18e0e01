import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Supervision's questions to the journal:
 * - search a structure's journal by partner service: one more keyset index
 *   in the shape of the journal's own, newest first on (at, id) in a chain;
 * - the dashboard's uses of mandates per month, démarche and partner: a
 *   partial covering index of `autorisation.used` entries, so the counts are
 *   an index-only scan of the structure's uses (not of its whole chain).
 */
export class JournalPartnerIndex1764700000000 implements MigrationInterface {
  name = 'JournalPartnerIndex1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX journal_entries_chain_partner_idx ON journal_entries (chain, partner_id, at, id)
        WHERE partner_id IS NOT NULL
    `);
    await queryRunner.query(`
      CREATE INDEX journal_entries_chain_uses_idx ON journal_entries (chain, at) INCLUDE (demarche, partner_id)
        WHERE action = 'autorisation.used'
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX journal_entries_chain_uses_idx`);
    await queryRunner.query(`DROP INDEX journal_entries_chain_partner_idx`);
  }
}
