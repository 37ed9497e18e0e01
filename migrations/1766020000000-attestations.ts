import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attestations are signed once and kept (docs/decisions/0503-attestation-stored-once-short-qr.md):
 *
 * - `attestations`: the compact JWS of each attestation, its id being the
 *   JWS's `jti`, which the QR code's short verification link carries. One
 *   mandate attestation per mandate (signed when the mandate is opened);
 *   one revocation attestation per revocation. A stored signature is never
 *   rewritten: UPDATE is refused by a trigger.
 * - `attestation_verification_counts`: anonymous verifications per client
 *   address (a SHA-256 of it, never the address) and minute, for the rate
 *   limit; rows older than a few minutes are purged as new ones come.
 * - `attestation_verification_days`: the days (Europe/Paris) on which an
 *   attestation was verified, so the journal records the first
 *   verification of each attestation per day and not every request.
 */
export class Attestations1766020000000 implements MigrationInterface {
  name = 'Attestations1766020000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE attestations (
        id            uuid PRIMARY KEY,
        mandate_id    uuid NOT NULL REFERENCES mandates (id),
        kind          text NOT NULL CHECK (kind IN ('mandate', 'revocation')),
        kid           text NOT NULL,
        jws           text NOT NULL CHECK (jws ~ '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' AND length(jws) <= 8000),
        issued_at     timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`CREATE UNIQUE INDEX attestations_one_per_mandate_idx ON attestations (mandate_id) WHERE kind = 'mandate'`);
    await queryRunner.query(`CREATE INDEX attestations_mandate_idx ON attestations (mandate_id, kind, issued_at)`);
    await queryRunner.query(`
      CREATE FUNCTION attestations_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'a signed attestation is never rewritten' USING ERRCODE = 'insufficient_privilege';
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER attestations_refuse_update BEFORE UPDATE ON attestations
        FOR EACH ROW EXECUTE FUNCTION attestations_refuse_update()
    `);
    await queryRunner.query(`
      CREATE TABLE attestation_verification_counts (
        address_hash  text NOT NULL CHECK (address_hash ~ '^[0-9a-f]{64}$'),
        minute        timestamptz NOT NULL,
        requests      integer NOT NULL CHECK (requests > 0),
        PRIMARY KEY (address_hash, minute)
      )
    `);
    await queryRunner.query(`CREATE INDEX attestation_verification_counts_minute_idx ON attestation_verification_counts (minute)`);
    await queryRunner.query(`
      CREATE TABLE attestation_verification_days (
        attestation_id  text NOT NULL CHECK (length(attestation_id) <= 64),
        day             date NOT NULL,
        PRIMARY KEY (attestation_id, day)
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE attestation_verification_days`);
    await queryRunner.query(`DROP TABLE attestation_verification_counts`);
    await queryRunner.query(`DROP TRIGGER attestations_refuse_update ON attestations`);
    await queryRunner.query(`DROP FUNCTION attestations_refuse_update()`);
    await queryRunner.query(`DROP TABLE attestations`);
  }
}
