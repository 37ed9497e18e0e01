import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scopes each partner may receive (ASVS 10.4.11): the identity claims
 * it gets are those of these scopes only, whatever it asks for. Partners
 * registered before keep what they received until now (every scope); new
 * ones are registered with their own list. Also an index for ending an
 * aidant's recent partner sign-ins at their sign-out.
 */
export class PartnerScopes1766050000000 implements MigrationInterface {
  name = 'PartnerScopes1766050000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE partners
        ADD COLUMN scopes text[] NOT NULL
          DEFAULT '{openid,profile,given_name,family_name,preferred_username,birthdate,gender,birthplace,birthcountry,email}'
          CHECK ('openid' = ANY (scopes)
             AND scopes <@ '{openid,profile,given_name,family_name,preferred_username,birthdate,gender,birthplace,birthcountry,email}'::text[])
    `);
    // The default served the rows that existed; every new partner states its scopes.
    await queryRunner.query(`ALTER TABLE partners ALTER COLUMN scopes DROP DEFAULT`);
    await queryRunner.query(`CREATE INDEX provider_uses_aidant_idx ON provider_uses (aidant_id, created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX provider_uses_aidant_idx`);
    await queryRunner.query(`ALTER TABLE partners DROP COLUMN scopes`);
  }
}
