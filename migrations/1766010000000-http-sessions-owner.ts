import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which aidant each browser session belongs to, and when it was ended, so
 * that an aidant can list and end their sessions, and a password change, a
 * reset or a suspension can end them. An ended row is kept (not deleted)
 * until it expires: a request of that session still in flight must not
 * write it back to life when it saves.
 */
export class HttpSessionsOwner1766010000000 implements MigrationInterface {
  name = 'HttpSessionsOwner1766010000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE http_sessions
        ADD COLUMN aidant_id uuid REFERENCES aidants (id) ON DELETE CASCADE,
        ADD COLUMN ended_at  timestamptz,
        -- Why it was ended, so the person is told on their next request.
        ADD COLUMN ended_reason text,
        ADD CONSTRAINT http_sessions_ended_check CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
    `);
    await queryRunner.query(`
      UPDATE http_sessions
         SET aidant_id = (data -> 'aidant' ->> 'aidantId')::uuid
       WHERE data -> 'aidant' ->> 'aidantId' IS NOT NULL
         AND EXISTS (SELECT 1 FROM aidants a WHERE a.id::text = data -> 'aidant' ->> 'aidantId')
    `);
    await queryRunner.query(`CREATE INDEX http_sessions_aidant_idx ON http_sessions (aidant_id) WHERE aidant_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX http_sessions_aidant_idx`);
    await queryRunner.query(`DELETE FROM http_sessions WHERE ended_at IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE http_sessions DROP CONSTRAINT http_sessions_ended_check, DROP COLUMN ended_reason, DROP COLUMN ended_at, DROP COLUMN aidant_id`);
  }
}
