import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service's own signing keys (journal checkpoints, attestations, the
 * provider face). Kept in the database so that restarts and every instance
 * behind a load balancer use the same keys; a key is retired, never deleted,
 * so signatures made with it stay verifiable.
 */
export class ServiceKeys1764000000000 implements MigrationInterface {
  name = 'ServiceKeys1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE service_keys (
        kid          text PRIMARY KEY,
        purpose      text NOT NULL CHECK (purpose IN ('journal', 'attestation', 'provider')),
        alg          text NOT NULL CHECK (alg IN ('ES256', 'RS256')),
        public_jwk   jsonb NOT NULL,
        private_jwk  text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        retired_at   timestamptz
      )
    `);
    await queryRunner.query(`
      CREATE INDEX service_keys_active_idx ON service_keys (purpose, created_at DESC)
        WHERE retired_at IS NULL
    `);
    await queryRunner.query(`
      COMMENT ON COLUMN service_keys.private_jwk IS
        'Private JWK, encrypted at rest by the service (never logged, never exported)'
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE service_keys`);
  }
}
