import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Phone codes of remote consent are stored as a keyed digest (HMAC-SHA-256
 * under a key derived from SESSION_SECRET, src/remote-consent/consent-request.ts):
 * an 8-character code is too small a space for a plain hash. Only the
 * column's description changes; rows stored before keep their plain digest
 * and are still found until they end (24 hours).
 */
export class ConsentCodeKeyedDigest1766170000000 implements MigrationInterface {
  name = 'ConsentCodeKeyedDigest1766170000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `COMMENT ON COLUMN consent_requests.code_hash IS 'HMAC-SHA-256 (hex, key derived from SESSION_SECRET) of the 8-character code read out on the phone; never stored in clear'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `COMMENT ON COLUMN consent_requests.code_hash IS 'SHA-256 (hex) of the 8-character code read out on the phone; never stored in clear'`,
    );
  }
}
