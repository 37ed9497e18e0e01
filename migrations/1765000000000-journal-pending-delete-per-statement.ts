import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every stored member of a pending row equals the sealed entry's (`o`: the pending row, `e`: the entry). */
const SAME_ENTRY = `
  e.id = o.id AND e.chain = o.chain AND e.at = o.at AND e.action = o.action
  AND e.actor_type = o.actor_type AND e.actor_id IS NOT DISTINCT FROM o.actor_id
  AND e.usager_id IS NOT DISTINCT FROM o.usager_id AND e.mandate_id IS NOT DISTINCT FROM o.mandate_id
  AND e.aidant_id IS NOT DISTINCT FROM o.aidant_id AND e.partner_id IS NOT DISTINCT FROM o.partner_id
  AND e.demarche IS NOT DISTINCT FROM o.demarche AND e.ip IS NOT DISTINCT FROM o.ip
  AND e.user_agent IS NOT DISTINCT FROM o.user_agent AND e.request_id IS NOT DISTINCT FROM o.request_id
  AND e.details = o.details`;

/**
 * The rule "a pending row may be deleted only once its exact copy is sealed"
 * is checked once per DELETE statement over all the deleted rows (a
 * transition table and one anti-join), instead of a PL/pgSQL call and a
 * look-up per row: the sequencer deletes up to 2,000 pending rows per batch,
 * and the per-row trigger was a fifth of its database time
 * (docs/decisions/0100-journal-sequencer.md). Same refusal, same message; the
 * statement is undone as a whole.
 */
export class JournalPendingDeletePerStatement1765000000000 implements MigrationInterface {
  name = 'JournalPendingDeletePerStatement1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER journal_pending_sealed_delete ON journal_pending`);
    await queryRunner.query(`DROP FUNCTION journal_pending_only_sealed_delete()`);
    await queryRunner.query(`
      CREATE FUNCTION journal_pending_only_sealed_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM deleted o WHERE NOT EXISTS (SELECT 1 FROM journal_entries e WHERE ${SAME_ENTRY})) THEN
          RAISE EXCEPTION 'the journal is append-only: DELETE on journal_pending is refused for an entry that is not sealed'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_pending_sealed_delete AFTER DELETE ON journal_pending
        REFERENCING OLD TABLE AS deleted
        FOR EACH STATEMENT EXECUTE FUNCTION journal_pending_only_sealed_deletes()
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER journal_pending_sealed_delete ON journal_pending`);
    await queryRunner.query(`DROP FUNCTION journal_pending_only_sealed_deletes()`);
    await queryRunner.query(`
      CREATE FUNCTION journal_pending_only_sealed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM journal_entries e WHERE ${SAME_ENTRY.replace(/\bo\./g, 'OLD.')}) THEN
          RAISE EXCEPTION 'the journal is append-only: DELETE on journal_pending is refused for an entry that is not sealed'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_pending_sealed_delete BEFORE DELETE ON journal_pending
        FOR EACH ROW EXECUTE FUNCTION journal_pending_only_sealed_delete()
    `);
  }
}
