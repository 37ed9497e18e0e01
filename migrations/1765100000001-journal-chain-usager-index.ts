import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The usagers a structure's journal is about (a référent's search by name
 * compares their names): one index probe per distinct usager of the chain
 * (`JournalQueries.usagerIdsOf`) instead of reading every entry about one.
 */
export class JournalChainUsagerIndex1765100000001 implements MigrationInterface {
  name = 'JournalChainUsagerIndex1765100000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX journal_entries_chain_usager_idx ON journal_entries (chain, usager_id) WHERE usager_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX journal_entries_chain_usager_idx`);
  }
}
