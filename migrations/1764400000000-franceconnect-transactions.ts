import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The server-side record of each FranceConnect round trip: what was sent
 * (state by hash, nonce, PKCE verifier), why (intent and its payload), for
 * which browser session, until when (at most 10 minutes), and whether the
 * callback already consumed it (single use).
 */
export class FranceConnectTransactions1764400000000 implements MigrationInterface {
  name = 'FranceConnectTransactions1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE franceconnect_transactions (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        state_hash       char(64) NOT NULL UNIQUE CHECK (state_hash ~ '^[0-9a-f]{64}$'),
        nonce            text NOT NULL CHECK (length(nonce) BETWEEN 32 AND 128),
        code_verifier    text CHECK (length(code_verifier) BETWEEN 43 AND 128),
        intent           text NOT NULL CHECK (intent IN ('usager_sign_in', 'mandate_consent')),
        session_binding  char(64) NOT NULL CHECK (session_binding ~ '^[0-9a-f]{64}$'),
        structure_id     uuid REFERENCES structures (id),
        payload          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
        created_at       timestamptz NOT NULL,
        expires_at       timestamptz NOT NULL,
        used_at          timestamptz,
        CHECK (expires_at > created_at AND expires_at <= created_at + interval '10 minutes')
      )
    `);
    await queryRunner.query(`CREATE INDEX franceconnect_transactions_expires_idx ON franceconnect_transactions (expires_at)`);
    await queryRunner.query(
      `COMMENT ON COLUMN franceconnect_transactions.state_hash IS 'SHA-256 (hex) of the state sent to FranceConnect; the state itself is never stored'`,
    );
    await queryRunner.query(
      `COMMENT ON COLUMN franceconnect_transactions.session_binding IS 'SHA-256 (hex) of the random binding held in the browser session that started the round trip'`,
    );
    await queryRunner.query(
      `COMMENT ON COLUMN franceconnect_transactions.used_at IS 'set once, by the callback that consumed the transaction'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE franceconnect_transactions`);
  }
}
