import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usagers: the identity FranceConnect reports (its "identité pivot", nom
 * d'usage and email), keyed by an HMAC of the FranceConnect `sub`, never the
 * `sub` itself.
 */
export class Usagers1764400001000 implements MigrationInterface {
  name = 'Usagers1764400001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usagers (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        fc_sub_hash         char(64) NOT NULL UNIQUE CHECK (fc_sub_hash ~ '^[0-9a-f]{64}$'),
        given_name          text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 256),
        family_name         text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 256),
        preferred_username  text CHECK (length(preferred_username) BETWEEN 1 AND 256),
        birthdate           date NOT NULL,
        gender              text NOT NULL CHECK (gender IN ('male', 'female')),
        birthplace          text NOT NULL CHECK (birthplace ~ '^([0-9]{5}|2[AB][0-9]{3})?$'),
        birthcountry        text NOT NULL CHECK (birthcountry ~ '^99[0-9]{3}$'),
        email               text CHECK (length(email) BETWEEN 3 AND 254),
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CHECK ((birthcountry = '99100') = (birthplace <> ''))
      )
    `);
    await queryRunner.query(
      `COMMENT ON COLUMN usagers.fc_sub_hash IS 'HMAC-SHA-256 (hex) of the FranceConnect pairwise sub under FC_SUB_KEY; the sub itself is never stored'`,
    );
    await queryRunner.query(`COMMENT ON COLUMN usagers.birthplace IS 'INSEE commune code; empty when born abroad'`);
    await queryRunner.query(`COMMENT ON COLUMN usagers.birthcountry IS 'INSEE country code, 99100 for France'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usagers`);
  }
}
