import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A référent's invitation of an email that already has an account: nothing
 * is added to the account until its owner, signed in, accepts the link they
 * received by mail. Answered rows stay (who invited, who answered, when).
 */
export class MembershipInvitations1766000000000 implements MigrationInterface {
  name = 'MembershipInvitations1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE membership_invitations (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        aidant_id     uuid NOT NULL REFERENCES aidants (id),
        structure_id  uuid NOT NULL REFERENCES structures (id),
        roles         text[] NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 2 AND roles <@ ARRAY['aidant', 'referent']),
        token_hash    text NOT NULL UNIQUE,
        invited_by    uuid REFERENCES aidants (id),
        expires_at    timestamptz NOT NULL,
        answered_at   timestamptz,
        answer        text CHECK (answer IN ('accepted', 'declined', 'replaced')),
        created_at    timestamptz NOT NULL DEFAULT now(),
        CHECK ((answered_at IS NULL) = (answer IS NULL))
      )
    `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX membership_invitations_pending_idx ON membership_invitations (aidant_id, structure_id) WHERE answered_at IS NULL`,
    );
    await queryRunner.query(
      `COMMENT ON COLUMN membership_invitations.token_hash IS 'SHA-256 of the one-time token mailed to the account''s owner (the token itself is never stored)'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE membership_invitations`);
  }
}
