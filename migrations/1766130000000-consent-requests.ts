import type { MigrationInterface, QueryRunner } from 'typeorm';

const DEMARCHES = `ARRAY['papiers', 'famille', 'social', 'travail', 'logement',
                         'transports', 'argent', 'justice', 'etranger', 'loisirs']`;

/**
 * Remote consent (docs/decisions/0506): the requests an aidant prepares for a
 * usager who is not at the counter, the evidence columns a remote consent
 * adds to `mandate_consents`, the FranceConnect intent `remote_consent`, and the throttle of the code typed at
 * `/consentement` (per client address).
 *
 * Tokens and codes are stored as SHA-256 digests only. "At most one pending
 * request per aidant and expected usager" is a partial unique index; a
 * pending row past its expiry is marked expired before a new one is made.
 */
export class ConsentRequests1766130000000 implements MigrationInterface {
  name = 'ConsentRequests1766130000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE consent_requests (
        id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        structure_id           uuid NOT NULL REFERENCES structures (id),
        aidant_id              uuid NOT NULL REFERENCES aidants (id),
        expected_family_name   text NOT NULL CHECK (length(expected_family_name) BETWEEN 1 AND 100),
        expected_given_name    text NOT NULL CHECK (length(expected_given_name) BETWEEN 1 AND 100),
        expected_family_fold   text NOT NULL CHECK (length(expected_family_fold) BETWEEN 1 AND 100),
        expected_given_fold    text NOT NULL CHECK (length(expected_given_fold) BETWEEN 1 AND 100),
        expected_birthdate     date NOT NULL,
        demarches              text[] NOT NULL CHECK (cardinality(demarches) >= 1 AND demarches <@ ${DEMARCHES}),
        duration               text NOT NULL CHECK (duration IN ('court', 'mois', 'semestre', 'long')),
        channel                text NOT NULL CHECK (channel IN ('email', 'phone')),
        token_hash             char(64) UNIQUE,
        code_hash              char(64) UNIQUE,
        status                 text NOT NULL DEFAULT 'pending'
                               CHECK (status IN ('pending', 'accepted', 'refused', 'expired', 'cancelled', 'identity_mismatch')),
        refusal_reason         text CHECK (refusal_reason IN ('usager', 'aidant_unavailable')),
        totp_confirmed_at      timestamptz NOT NULL,
        created_at             timestamptz NOT NULL,
        expires_at             timestamptz NOT NULL,
        decided_at             timestamptz,
        mandate_id             uuid REFERENCES mandates (id),
        CHECK (expires_at = created_at + interval '24 hours'),
        CHECK ((channel = 'email') = (token_hash IS NOT NULL) AND (channel = 'phone') = (code_hash IS NOT NULL)),
        CHECK ((status = 'pending') = (decided_at IS NULL)),
        CHECK ((status = 'accepted') = (mandate_id IS NOT NULL)),
        CHECK ((status = 'refused') = (refusal_reason IS NOT NULL))
      )
    `);
    await queryRunner.query(
      `COMMENT ON COLUMN consent_requests.token_hash IS 'SHA-256 (hex) of the link token (email channel); the token itself is never stored'`,
    );
    await queryRunner.query(
      `COMMENT ON COLUMN consent_requests.code_hash IS 'SHA-256 (hex) of the 8-character code read out on the phone; never stored in clear'`,
    );
    await queryRunner.query(`
      CREATE UNIQUE INDEX consent_requests_one_pending_idx
        ON consent_requests (aidant_id, expected_family_fold, expected_given_fold, expected_birthdate)
        WHERE status = 'pending'
    `);
    await queryRunner.query(`CREATE INDEX consent_requests_aidant_idx ON consent_requests (aidant_id, created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE consent_code_throttles (
        key               text PRIMARY KEY,
        failures          integer NOT NULL,
        first_failure_at  timestamptz NOT NULL,
        locked_until      timestamptz
      )
    `);
    await queryRunner.query(`ALTER TABLE franceconnect_transactions DROP CONSTRAINT franceconnect_transactions_intent_check`);
    await queryRunner.query(`
      ALTER TABLE franceconnect_transactions ADD CONSTRAINT franceconnect_transactions_intent_check
        CHECK (intent IN ('usager_sign_in', 'mandate_consent', 'remote_consent'))
    `);
    await queryRunner.query(`ALTER TABLE mandate_consents DROP CONSTRAINT mandate_consents_kind_check`);
    await queryRunner.query(`ALTER TABLE mandate_consents ADD CONSTRAINT mandate_consents_kind_check CHECK (kind IN ('franceconnect', 'renewal', 'remote'))`);
    await queryRunner.query(`
      ALTER TABLE mandate_consents
        ADD COLUMN consent_request_id  uuid UNIQUE REFERENCES consent_requests (id),
        ADD COLUMN remote_channel      text CHECK (remote_channel IN ('email', 'phone')),
        ADD COLUMN fc_transaction_id   uuid,
        ADD CONSTRAINT mandate_consents_remote_check CHECK (
          kind <> 'remote' OR (fc_acr IS NOT NULL AND id_token_hash IS NOT NULL AND consent_request_id IS NOT NULL
                               AND remote_channel IS NOT NULL AND fc_transaction_id IS NOT NULL))
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Refused (the check fails) while remote consents exist: their mandates would lose their evidence.
    await queryRunner.query(`ALTER TABLE mandate_consents DROP CONSTRAINT mandate_consents_kind_check`);
    await queryRunner.query(`ALTER TABLE mandate_consents ADD CONSTRAINT mandate_consents_kind_check CHECK (kind IN ('franceconnect', 'renewal'))`);
    await queryRunner.query(`
      ALTER TABLE mandate_consents
        DROP CONSTRAINT mandate_consents_remote_check,
        DROP COLUMN fc_transaction_id,
        DROP COLUMN remote_channel,
        DROP COLUMN consent_request_id
    `);
    await queryRunner.query(`DELETE FROM franceconnect_transactions WHERE intent = 'remote_consent'`);
    await queryRunner.query(`ALTER TABLE franceconnect_transactions DROP CONSTRAINT franceconnect_transactions_intent_check`);
    await queryRunner.query(`
      ALTER TABLE franceconnect_transactions ADD CONSTRAINT franceconnect_transactions_intent_check
        CHECK (intent IN ('usager_sign_in', 'mandate_consent'))
    `);
    await queryRunner.query(`DROP TABLE consent_code_throttles`);
    await queryRunner.query(`DROP TABLE consent_requests`);
  }
}
