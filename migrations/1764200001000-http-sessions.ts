import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Browser sessions, stored server-side so every instance sees the same ones. */
export class HttpSessions1764200001000 implements MigrationInterface {
  name = 'HttpSessions1764200001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE http_sessions (
        sid         text PRIMARY KEY,
        data        jsonb NOT NULL,
        expires_at  timestamptz NOT NULL
      )
    `);
    await queryRunner.query(`CREATE INDEX http_sessions_expires_idx ON http_sessions (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE http_sessions`);
  }
}
