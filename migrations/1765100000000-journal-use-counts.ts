import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Counts of uses of mandates (`autorisation.used` entries) per chain, month
 * (UTC), démarche and partner, for the structure dashboard, which otherwise
 * counts a year of a structure's uses on every visit
 * (docs/decisions/0710-supervision-use-counts.md).
 *
 * - Kept by the database: a trigger on `journal_pending` adds each use as
 *   it is appended, so in the very transaction of the use (a rolled-back use
 *   is not counted) and whatever code appends it. An entry's `at` is final
 *   when it is appended (sealing keeps it), so its month is too.
 * - `demarche` and `partner_id` are '' when the entry names none (a primary
 *   key cannot hold NULL).
 * - Backfilled here from the entries already sealed and still pending; the
 *   trigger is created first, and creating it locks `journal_pending`
 *   against appends and sealing until this migration commits, so no use is
 *   counted twice or missed.
 * - Rows are written in key order by the backfill, and updated in place
 *   (fillfactor 70 leaves room for those updates on the same page), so a
 *   chain's rows stay together.
 * - A derived table, not part of the journal: the append-only rules do not
 *   apply to it; emptied, `USE_COUNTS_BACKFILL` recomputes it from the journal.
 */
export const USE_COUNTS_BACKFILL = `
  INSERT INTO journal_use_counts (chain, month, demarche, partner_id, uses, last_at)
  SELECT chain, date_trunc('month', at AT TIME ZONE 'UTC')::date, coalesce(demarche, ''), coalesce(partner_id, ''), count(*), max(at)
    FROM (SELECT chain, at, demarche, partner_id FROM journal_entries WHERE action = 'autorisation.used'
          UNION ALL
          SELECT chain, at, demarche, partner_id FROM journal_pending WHERE action = 'autorisation.used') AS uses
   GROUP BY 1, 2, 3, 4
   ORDER BY 1, 2, 3, 4`;

export class JournalUseCounts1765100000000 implements MigrationInterface {
  name = 'JournalUseCounts1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE journal_use_counts (
        chain       text NOT NULL,
        month       date NOT NULL CHECK (extract(day FROM month) = 1),
        demarche    text NOT NULL,
        partner_id  text NOT NULL,
        uses        bigint NOT NULL CHECK (uses >= 1),
        last_at     timestamptz NOT NULL,
        PRIMARY KEY (chain, month, demarche, partner_id)
      ) WITH (fillfactor = 70)
    `);
    await queryRunner.query(`COMMENT ON TABLE journal_use_counts IS 'autorisation.used entries per chain, UTC month, démarche and partner ('''' for none); kept by trigger journal_pending_count_use'`);
    await queryRunner.query(`
      CREATE FUNCTION journal_count_use() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO journal_use_counts AS c (chain, month, demarche, partner_id, uses, last_at)
        VALUES (NEW.chain, date_trunc('month', NEW.at AT TIME ZONE 'UTC')::date,
                coalesce(NEW.demarche, ''), coalesce(NEW.partner_id, ''), 1, NEW.at)
        ON CONFLICT (chain, month, demarche, partner_id)
          DO UPDATE SET uses = c.uses + 1, last_at = greatest(c.last_at, EXCLUDED.last_at);
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER journal_pending_count_use AFTER INSERT ON journal_pending
        FOR EACH ROW WHEN (NEW.action = 'autorisation.used') EXECUTE FUNCTION journal_count_use()
    `);
    await queryRunner.query(USE_COUNTS_BACKFILL);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER journal_pending_count_use ON journal_pending`);
    await queryRunner.query(`DROP FUNCTION journal_count_use()`);
    await queryRunner.query(`DROP TABLE journal_use_counts`);
  }
}
