import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The journal: append-only, hash-chained, one chain per structure plus the
 * `national` chain (docs/journal.md, docs/decisions/0100-journal-sequencer.md).
 *
 * - `journal_pending`: what a use case writes, in its own transaction. A
 *   pending row has no place in its chain yet.
 * - `journal_entries`: sealed entries. The single sequencer moves pending
 *   rows here in batches, giving each its `seq`, `prev_hash` and `hash`.
 * - `journal_chains`: every chain that has an entry (listing them cheaply).
 * - `journal_checkpoints`: signed `{chain, seq, hash, at}` statements.
 *
 * The database itself refuses UPDATE, DELETE and TRUNCATE of all of them,
 * whoever asks; the one write allowed besides INSERT is removing a pending
 * row once an identical sealed entry exists (that is what sealing is). A
 * superuser can still disable triggers: the chain and the signed checkpoints
 * are what make that evident.
 */
export class Journal1764100000000 implements MigrationInterface {
  name = 'Journal1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE journal_pending (
        pending_id   bigserial PRIMARY KEY,
        id           uuid NOT NULL UNIQUE,
        chain        text NOT NULL,
        at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        action       text NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\\.[a-z][a-z_]*)+$'),
        actor_type   text NOT NULL CHECK (actor_type IN ('aidant', 'usager', 'operator', 'partner', 'system')),
        actor_id     text,
        usager_id    text,
        mandate_id   text,
        aidant_id    text,
        partner_id   text,
        demarche     text,
        ip           text,
        user_agent   text CHECK (length(user_agent) <= 512),
        request_id   text,
        details      jsonb NOT NULL CHECK (jsonb_typeof(details) = 'object')
      )
    `);
    await queryRunner.query(`
      CREATE TABLE journal_entries (
        id           uuid PRIMARY KEY,
        chain        text NOT NULL,
        seq          bigint NOT NULL CHECK (seq >= 1),
        at           timestamptz NOT NULL,
        action       text NOT NULL,
        actor_type   text NOT NULL,
        actor_id     text,
        usager_id    text,
        mandate_id   text,
        aidant_id    text,
        partner_id   text,
        demarche     text,
        ip           text,
        user_agent   text,
        request_id   text,
        details      jsonb NOT NULL,
        prev_hash    text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        sealed_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT journal_entries_chain_seq_key UNIQUE (chain, seq)
      )
    `);
    // Keyset-paginated questions (journal.queries.ts), newest first, cursor (at, id).
    const indexes: Record<string, string> = {
      journal_entries_chain_at_idx: '(chain, at, id)',
      journal_entries_chain_action_idx: '(chain, action, at, id)',
      journal_entries_chain_demarche_idx: '(chain, demarche, at, id) WHERE demarche IS NOT NULL',
      journal_entries_actor_idx: '(actor_type, actor_id, at, id) WHERE actor_id IS NOT NULL',
      journal_entries_usager_idx: '(usager_id, at, id) WHERE usager_id IS NOT NULL',
      journal_entries_mandate_idx: '(mandate_id, at, id) WHERE mandate_id IS NOT NULL',
      journal_entries_aidant_idx: '(aidant_id, at, id) WHERE aidant_id IS NOT NULL',
    };
    for (const [name, definition] of Object.entries(indexes)) {
      await queryRunner.query(`CREATE INDEX ${name} ON journal_entries ${definition}`);
    }

    await queryRunner.query(`
      CREATE TABLE journal_chains (
        chain        text PRIMARY KEY,
        created_at   timestamptz NOT NULL DEFAULT now()
      )
    `);
    await queryRunner.query(`
      CREATE TABLE journal_checkpoints (
        chain        text NOT NULL,
        seq          bigint NOT NULL CHECK (seq >= 1),
        hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        at           timestamptz NOT NULL,
        kid          text NOT NULL,
        jws          text NOT NULL,
        PRIMARY KEY (chain, seq)
      )
    `);

    await queryRunner.query(`
      CREATE FUNCTION journal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the journal is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'journal rows are never updated or deleted; append a new entry instead';
      END
      $$
    `);
    // Sealing removes a pending row, and only once its exact copy is in the chain.
    await queryRunner.query(`
      CREATE FUNCTION journal_pending_only_sealed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM journal_entries e
           WHERE e.id = OLD.id AND e.chain = OLD.chain AND e.at = OLD.at AND e.action = OLD.action
             AND e.actor_type = OLD.actor_type AND e.actor_id IS NOT DISTINCT FROM OLD.actor_id
             AND e.usager_id IS NOT DISTINCT FROM OLD.usager_id AND e.mandate_id IS NOT DISTINCT FROM OLD.mandate_id
             AND e.aidant_id IS NOT DISTINCT FROM OLD.aidant_id AND e.partner_id IS NOT DISTINCT FROM OLD.partner_id
             AND e.demarche IS NOT DISTINCT FROM OLD.demarche AND e.ip IS NOT DISTINCT FROM OLD.ip
             AND e.user_agent IS NOT DISTINCT FROM OLD.user_agent AND e.request_id IS NOT DISTINCT FROM OLD.request_id
             AND e.details = OLD.details
        ) THEN
          RAISE EXCEPTION 'the journal is append-only: DELETE on journal_pending is refused for an entry that is not sealed'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
      END
      $$
    `);
    for (const table of ['journal_entries', 'journal_chains', 'journal_checkpoints']) {
      await queryRunner.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION journal_refuse_change()
      `);
      await queryRunner.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change()
      `);
    }
    await queryRunner.query(`
      CREATE TRIGGER journal_pending_no_update BEFORE UPDATE ON journal_pending
        FOR EACH ROW EXECUTE FUNCTION journal_refuse_change()
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_pending_no_truncate BEFORE TRUNCATE ON journal_pending
        FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change()
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_pending_sealed_delete BEFORE DELETE ON journal_pending
        FOR EACH ROW EXECUTE FUNCTION journal_pending_only_sealed_delete()
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE journal_checkpoints`);
    await queryRunner.query(`DROP TABLE journal_chains`);
    await queryRunner.query(`DROP TABLE journal_entries`);
    await queryRunner.query(`DROP TABLE journal_pending`);
    await queryRunner.query(`DROP FUNCTION journal_pending_only_sealed_delete()`);
    await queryRunner.query(`DROP FUNCTION journal_refuse_change()`);
  }
}
