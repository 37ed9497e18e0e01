import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Structures, aidants, their memberships (roles per structure), TOTP devices
 * (cards and authenticator apps), one-time invitations and sign-in throttles.
 */
export class StructuresAndAidants1764200000000 implements MigrationInterface {
  name = 'StructuresAndAidants1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE structures (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        siret              char(14) NOT NULL UNIQUE CHECK (siret ~ '^[0-9]{14}$'),
        type               text NOT NULL
                           CHECK (type IN ('mairie', 'france_services', 'ccas', 'mediatheque', 'association', 'autre')),
        address            text NOT NULL CHECK (length(address) <= 500),
        active             boolean NOT NULL DEFAULT true,
        allowed_demarches  text[] NOT NULL
                           DEFAULT ARRAY['papiers', 'famille', 'social', 'travail', 'logement',
                                         'transports', 'argent', 'justice', 'etranger', 'loisirs']
                           CHECK (allowed_demarches <@ ARRAY['papiers', 'famille', 'social', 'travail', 'logement',
                                         'transports', 'argent', 'justice', 'etranger', 'loisirs']),
        created_at         timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`
      CREATE TABLE aidants (
        id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email                    text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) <= 254),
        given_name               text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
        family_name              text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
        profession               text NOT NULL DEFAULT '' CHECK (length(profession) <= 100),
        phone                    text NOT NULL DEFAULT '' CHECK (length(phone) <= 30),
        password_hash            text,
        habilitation_status      text NOT NULL DEFAULT 'requested'
                                 CHECK (habilitation_status IN ('requested', 'habilitated', 'suspended', 'revoked')),
        habilitated_at           timestamptz,
        status_changed_at        timestamptz NOT NULL DEFAULT now(),
        status_changed_by        text NOT NULL,
        activated_at             timestamptz,
        created_at               timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`COMMENT ON COLUMN aidants.password_hash IS 'argon2id PHC string; null until the invitation is accepted'`);
    await queryRunner.query(`COMMENT ON COLUMN aidants.status_changed_by IS 'actor of the last habilitation change: operator:<name>, aidant:<uuid> or system'`);
    await queryRunner.query(`
      CREATE TABLE memberships (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        aidant_id          uuid NOT NULL REFERENCES aidants (id),
        structure_id       uuid NOT NULL REFERENCES structures (id),
        roles              text[] NOT NULL
                           CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['aidant', 'referent']),
        suspended_at       timestamptz,
        last_signed_in_at  timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (aidant_id, structure_id)
      )
    `);
    await queryRunner.query(`CREATE INDEX memberships_structure_idx ON memberships (structure_id)`);
    await queryRunner.query(`
      CREATE TABLE totp_devices (
        id               uuid PRIMARY KEY,
        kind             text NOT NULL CHECK (kind IN ('card', 'app')),
        serial           text UNIQUE CHECK (length(serial) BETWEEN 1 AND 64),
        aidant_id        uuid REFERENCES aidants (id),
        secret_sealed    text NOT NULL,
        step             integer NOT NULL CHECK (step IN (30, 60)),
        drift            integer NOT NULL DEFAULT 0,
        last_used_step   bigint,
        created_at       timestamptz NOT NULL DEFAULT now(),
        assigned_at      timestamptz,
        revoked_at       timestamptz,
        CHECK (kind = 'app' OR serial IS NOT NULL),
        CHECK (kind = 'card' OR (step = 30 AND aidant_id IS NOT NULL))
      )
    `);
    await queryRunner.query(`CREATE INDEX totp_devices_aidant_idx ON totp_devices (aidant_id) WHERE revoked_at IS NULL`);
    await queryRunner.query(
      `COMMENT ON COLUMN totp_devices.secret_sealed IS 'base32 seed sealed with AES-256-GCM (TOTP_ENCRYPTION_KEY), row id as additional data'`,
    );
    await queryRunner.query(
      `COMMENT ON COLUMN totp_devices.last_used_step IS 'last accepted time step: codes at or before it are replays'`,
    );
    await queryRunner.query(`
      CREATE TABLE invitations (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        aidant_id     uuid NOT NULL REFERENCES aidants (id),
        token_hash    text NOT NULL UNIQUE,
        expires_at    timestamptz NOT NULL,
        used_at       timestamptz,
        created_at    timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`COMMENT ON COLUMN invitations.token_hash IS 'SHA-256 of the one-time token (the token itself is never stored)'`);
    await queryRunner.query(`
      CREATE TABLE sign_in_throttles (
        key               text PRIMARY KEY,
        failures          integer NOT NULL,
        first_failure_at  timestamptz NOT NULL,
        locked_until      timestamptz
      )
    `);
    await queryRunner.query(
      `COMMENT ON COLUMN sign_in_throttles.key IS 'email:<sha-256 of the email>, ip:<address> or totp:<aidant id> (fresh codes), never the email itself'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sign_in_throttles`);
    await queryRunner.query(`DROP TABLE invitations`);
    await queryRunner.query(`DROP TABLE totp_devices`);
    await queryRunner.query(`DROP TABLE memberships`);
    await queryRunner.query(`DROP TABLE aidants`);
    await queryRunner.query(`DROP TABLE structures`);
  }
}
