import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notices (docs/notices.md): the usager's notice address and its
 * confirmation links, the queue of notices the sender job delivers, and the
 * weekly reminders to structures (one row per structure and week).
 */
export class Notices1766100000000 implements MigrationInterface {
  name = 'Notices1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE notice_addresses (
        usager_id     uuid PRIMARY KEY REFERENCES usagers (id),
        email         text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
        mode          text NOT NULL CHECK (mode IN ('each', 'daily', 'none')),
        confirmed_at  timestamptz,
        bounced_at    timestamptz,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`
      CREATE TABLE notice_address_tokens (
        token_hash  text PRIMARY KEY,
        usager_id   uuid NOT NULL REFERENCES usagers (id),
        email       text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
        mode        text NOT NULL CHECK (mode IN ('each', 'daily', 'none')),
        expires_at  timestamptz NOT NULL,
        used_at     timestamptz,
        created_at  timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(
      `COMMENT ON COLUMN notice_address_tokens.token_hash IS 'SHA-256 of the one-time confirmation token (the token itself is never stored)'`,
    );
    await queryRunner.query(`CREATE INDEX notice_address_tokens_usager_idx ON notice_address_tokens (usager_id)`);
    await queryRunner.query(`
      CREATE TABLE notices (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_key        text NOT NULL UNIQUE CHECK (length(event_key) <= 200),
        kind             text NOT NULL CHECK (kind IN ('mandate_created', 'use', 'revocation', 'expiring', 'structure_reminder')),
        usager_id        uuid REFERENCES usagers (id),
        aidant_id        uuid REFERENCES aidants (id),
        structure_id     uuid REFERENCES structures (id),
        recipient        text NOT NULL CHECK (length(recipient) <= 254),
        digest           boolean NOT NULL DEFAULT false,
        facts            jsonb NOT NULL,
        status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts         integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        lease_until      timestamptz,
        last_error       text CHECK (length(last_error) <= 500),
        created_at       timestamptz NOT NULL DEFAULT now(),
        sent_at          timestamptz,
        CHECK ((usager_id IS NULL) <> (aidant_id IS NULL))
      )
    `);
    await queryRunner.query(`COMMENT ON COLUMN notices.event_key IS 'the event a notice is about: the same event is queued once'`);
    await queryRunner.query(`CREATE INDEX notices_due_idx ON notices (next_attempt_at) WHERE status IN ('pending', 'sending')`);
    await queryRunner.query(`
      CREATE TABLE structure_reminders (
        structure_id  uuid NOT NULL REFERENCES structures (id),
        week          date NOT NULL,
        mandates      integer NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (structure_id, week)
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE structure_reminders`);
    await queryRunner.query(`DROP TABLE notices`);
    await queryRunner.query(`DROP TABLE notice_address_tokens`);
    await queryRunner.query(`DROP TABLE notice_addresses`);
  }
}
