import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mails kept instead of sent when no SMTP server is configured (development):
 * operators read them at /dev/outbox. Never used when SMTP_URL is set.
 */
export class MailOutbox1764200002000 implements MigrationInterface {
  name = 'MailOutbox1764200002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE mail_outbox (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        recipient   text NOT NULL CHECK (length(recipient) <= 254),
        subject     text NOT NULL CHECK (length(subject) <= 200),
        body        text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`CREATE INDEX mail_outbox_created_idx ON mail_outbox (created_at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mail_outbox`);
  }
}
