import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A mandate's end is counted in calendar days in Europe/Paris from now on
 * (docs/decisions/0504): 182 days from 16:10 in December ends at 16:10 in
 * June, which is 182 × 24 hours minus one. The check that held the end to
 * exactly `days × 24 hours` becomes "within the hour of a clock change of
 * it", which the mandates signed under the old rule (exactly 24-hour days)
 * and the new ones both meet. No row is changed.
 */
export class MandateEndParisCalendarDays1766060400000 implements MigrationInterface {
  name = 'MandateEndParisCalendarDays1766060400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE mandates DROP CONSTRAINT mandates_check`);
    await queryRunner.query(`
      ALTER TABLE mandates ADD CONSTRAINT mandates_expiry_of_duration CHECK (
        expires_at BETWEEN created_at + interval '24 hours' * ${DAYS} - interval '1 hour'
                       AND created_at + interval '24 hours' * ${DAYS} + interval '1 hour'
      )
    `);
    await queryRunner.query(
      `COMMENT ON COLUMN mandates.expires_at IS 'created_at + 1, 31, 182 or 365 calendar days in Europe/Paris, same local time (court, mois, semestre, long)'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE mandates DROP CONSTRAINT mandates_expiry_of_duration`);
    // NOT VALID: mandates opened under the calendar-day rule stay as they were signed.
    await queryRunner.query(`ALTER TABLE mandates ADD CONSTRAINT mandates_check CHECK (expires_at = created_at + interval '24 hours' * ${DAYS}) NOT VALID`);
    await queryRunner.query(`COMMENT ON COLUMN mandates.expires_at IS 'created_at + 1, 31, 182 or 365 days (court, mois, semestre, long)'`);
  }
}

const DAYS = `CASE duration WHEN 'court' THEN 1 WHEN 'mois' THEN 31 WHEN 'semestre' THEN 182 WHEN 'long' THEN 365 END`;
