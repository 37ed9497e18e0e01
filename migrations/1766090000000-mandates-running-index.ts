import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A structure's mandates not revoked, by end then id: the aidant's dashboard
 * reads a page of live mandates (`liveMandatesPage`, soonest end first) as
 * an index range that stops after the page, and counts the live ones and
 * those ending soon (`countLive`) from this index alone, without the
 * structure's ended mandates, however many there are.
 */
export class MandatesRunningIndex1766090000000 implements MigrationInterface {
  name = 'MandatesRunningIndex1766090000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX mandates_structure_running_idx ON mandates (structure_id, expires_at, id) WHERE revoked_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX mandates_structure_running_idx`);
  }
}
