import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Mandates and autorisations point at existing usagers (the usagers table comes from migration 1764400001000). */
export class MandatesUsagerKey1764500001000 implements MigrationInterface {
  name = 'MandatesUsagerKey1764500001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE mandates ADD CONSTRAINT mandates_usager_fk FOREIGN KEY (usager_id) REFERENCES usagers (id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE mandates DROP CONSTRAINT mandates_usager_fk`);
  }
}
