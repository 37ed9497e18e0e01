import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A structure's ended mandates, latest end first (the aidant's dashboard,
 * `endedMandatesOfStructure`, orders by the same expression and keeps 200):
 * a backward index range that stops after 200 ended rows instead of reading
 * and sorting every mandate of the structure (3.6 ms against 0.7 ms for a
 * structure of 10,000 mandates, `npm run bench:counter`).
 */
export class MandatesEndedIndex1766080000000 implements MigrationInterface {
  name = 'MandatesEndedIndex1766080000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX mandates_structure_end_idx ON mandates (structure_id, (LEAST(COALESCE(revoked_at, expires_at), expires_at)))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX mandates_structure_end_idx`);
  }
}
