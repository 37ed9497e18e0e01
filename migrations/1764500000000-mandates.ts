import type { MigrationInterface, QueryRunner } from 'typeorm';

const DEMARCHES = `ARRAY['papiers', 'famille', 'social', 'travail', 'logement',
                         'transports', 'argent', 'justice', 'etranger', 'loisirs']`;

/**
 * Mandates, their autorisations (one per démarche) and the consent evidence.
 *
 * "Live" in the partial unique index means "not closed" (`revoked_at IS
 * NULL`): an index cannot use now(). Opening a mandate closes the previous
 * autorisation of the same structure, usager and démarche in the same
 * transaction (reason `superseded` when it was live, `lapsed` when it had
 * already expired), see docs/decisions/0500-mandate-status-and-supersession.md.
 * `usager_id` gets its foreign key in migration 1764500001000 (the usagers
 * table belongs to another module).
 */
export class Mandates1764500000000 implements MigrationInterface {
  name = 'Mandates1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE mandate_consents (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind                 text NOT NULL CHECK (kind IN ('franceconnect', 'renewal')),
        submission_id        uuid NOT NULL UNIQUE,
        fc_acr               text,
        fc_auth_time         timestamptz,
        id_token_hash        text CHECK (id_token_hash ~ '^[A-Za-z0-9_-]{43}$'),
        previous_consent_id  uuid REFERENCES mandate_consents (id),
        declared_by          uuid NOT NULL REFERENCES aidants (id),
        declared_at          timestamptz NOT NULL,
        totp_confirmed_at    timestamptz NOT NULL,
        created_at           timestamptz NOT NULL DEFAULT now(),
        CHECK (kind <> 'franceconnect' OR (fc_acr IS NOT NULL AND id_token_hash IS NOT NULL)),
        CHECK (kind <> 'renewal' OR previous_consent_id IS NOT NULL)
      )
    `);
    await queryRunner.query(`
      CREATE TABLE mandates (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        structure_id         uuid NOT NULL REFERENCES structures (id),
        usager_id            uuid NOT NULL,
        opened_by            uuid NOT NULL REFERENCES aidants (id),
        consent_id           uuid NOT NULL REFERENCES mandate_consents (id),
        renewed_from         uuid REFERENCES mandates (id),
        duration             text NOT NULL CHECK (duration IN ('court', 'mois', 'semestre', 'long')),
        created_at           timestamptz NOT NULL DEFAULT now(),
        expires_at           timestamptz NOT NULL,
        revoked_at           timestamptz,
        revoked_by_type      text CHECK (revoked_by_type IN ('aidant', 'referent', 'usager', 'system')),
        revoked_by_id        uuid,
        revocation_reason    text CHECK (length(revocation_reason) <= 500),
        expiry_journaled_at  timestamptz,
        UNIQUE (id, structure_id, usager_id),
        CHECK (expires_at = created_at + interval '24 hours' *
               CASE duration WHEN 'court' THEN 1 WHEN 'mois' THEN 31 WHEN 'semestre' THEN 182 WHEN 'long' THEN 365 END),
        CHECK ((revoked_at IS NULL) = (revoked_by_type IS NULL))
      )
    `);
    await queryRunner.query(`COMMENT ON COLUMN mandates.expires_at IS 'created_at + 1, 31, 182 or 365 days (court, mois, semestre, long)'`);
    await queryRunner.query(`COMMENT ON COLUMN mandates.expiry_journaled_at IS 'set once by the expiry job when mandate.expired is journaled'`);
    await queryRunner.query(`CREATE INDEX mandates_structure_idx ON mandates (structure_id, expires_at)`);
    await queryRunner.query(`CREATE INDEX mandates_usager_idx ON mandates (usager_id)`);
    await queryRunner.query(
      `CREATE INDEX mandates_expiry_pending_idx ON mandates (expires_at) WHERE expiry_journaled_at IS NULL AND revoked_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE autorisations (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        mandate_id         uuid NOT NULL,
        structure_id       uuid NOT NULL,
        usager_id          uuid NOT NULL,
        demarche           text NOT NULL CHECK (demarche = ANY (${DEMARCHES})),
        created_at         timestamptz NOT NULL DEFAULT now(),
        revoked_at         timestamptz,
        revocation_reason  text CHECK (revocation_reason IN ('revoked', 'superseded', 'lapsed', 'mandate_revoked')),
        superseded_by      uuid REFERENCES autorisations (id),
        FOREIGN KEY (mandate_id, structure_id, usager_id) REFERENCES mandates (id, structure_id, usager_id),
        UNIQUE (mandate_id, demarche),
        CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
      )
    `);
    await queryRunner.query(`COMMENT ON COLUMN autorisations.revoked_at IS 'closed: revoked, superseded, or closed after expiry (lapsed) when a new one replaced it'`);
    // At most one open autorisation per structure, usager and démarche.
    await queryRunner.query(
      `CREATE UNIQUE INDEX autorisations_one_open_idx ON autorisations (structure_id, usager_id, demarche) WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX autorisations_structure_idx ON autorisations (structure_id, demarche) WHERE revoked_at IS NULL`);
    // A mandate without any autorisation cannot commit.
    await queryRunner.query(`
      CREATE FUNCTION mandates_require_autorisation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM autorisations WHERE mandate_id = NEW.id) THEN
          RAISE EXCEPTION 'mandate % has no autorisation', NEW.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER mandates_require_autorisation
        AFTER INSERT ON mandates DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION mandates_require_autorisation()
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER mandates_require_autorisation ON mandates`);
    await queryRunner.query(`DROP FUNCTION mandates_require_autorisation()`);
    await queryRunner.query(`DROP TABLE autorisations`);
    await queryRunner.query(`DROP TABLE mandates`);
    await queryRunner.query(`DROP TABLE mandate_consents`);
  }
}
