import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The usagers a structure's journal is about (a référent's search by name
 * compares their names, `JournalQueries.usagerIdsOf`): an index-only scan
 * of the chain's entries about a usager instead of reading the entries.
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
