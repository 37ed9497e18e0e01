import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The words of each usager's names, folded, for a référent's search by name
 * (`UsagersService.identitiesNamed`): a search goes from the longest word
 * typed to the few usagers with a name starting with it, instead of reading
 * every usager of the structure.
 *
 * - `usager_name_fold(text)` folds as `foldName` (src/usagers/name-fold.ts)
 *   does: decomposed (NFD), combining marks removed, lower case (with the
 *   Latin capitals that have no decomposition, such as Œ and Æ, mapped
 *   explicitly, since `lower()` leaves them under the C locale), apostrophes,
 *   dots and hyphens as spaces, spaces collapsed. The application compares
 *   the candidates' names again with `foldName`; a difference between the
 *   two folds could only hide a usager from a search without birthdate, and
 *   a test over names that are easy to fold wrongly checks that they agree.
 * - One row per usager and distinct word of their given names, birth name
 *   and nom d'usage; the `word` column compares bytewise (`COLLATE "C"`) so
 *   that a prefix is an index range `[prefix, prefix || U+10FFFF)`.
 * - Kept by the database: a trigger on `usagers` rewrites a usager's words
 *   when their names are inserted or changed, whatever code writes them.
 *   Backfilled here after the trigger is created (creating it locks
 *   `usagers` against writes until this migration commits: nothing is
 *   missed). `USAGER_NAME_WORDS_BACKFILL` recomputes the table once emptied
 *   (the benchmark's bulk load writes usagers with triggers off).
 * - An index on `usagers (birthdate)` that covers the names, for searches
 *   that give a birthdate: the usagers born that day are compared without
 *   reading the table.
 */
export const USAGER_NAME_WORDS_BACKFILL = `
  INSERT INTO usager_name_words (usager_id, word)
  SELECT DISTINCT u.id, w.word
    FROM usagers u,
         regexp_split_to_table(usager_name_fold(concat_ws(' ', u.given_name, u.family_name, u.preferred_username)), ' ') AS w(word)
   WHERE w.word <> ''`;

/** Combining marks (the blocks Latin names use) and capitals `lower()` may leave alone, with their lower case. */
const MARKS = '[\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f]';
const CAPITALS = 'ŒÆØÐÞŁĐĦŊŦ';
const LOWER = 'œæøðþłđħŋŧ';

export class UsagerNameWords1765300000001 implements MigrationInterface {
  name = 'UsagerNameWords1765300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION usager_name_fold(name text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$
          SELECT btrim(regexp_replace(
                   translate(lower(translate(regexp_replace(normalize(name, NFD), '${MARKS}', '', 'g'), '${CAPITALS}', '${LOWER}')), '’''.-', '    '),
                   '\\s+', ' ', 'g'))
        $$
    `);
    await queryRunner.query(`
      CREATE TABLE usager_name_words (
        usager_id  uuid NOT NULL REFERENCES usagers (id) ON DELETE CASCADE,
        word       text COLLATE "C" NOT NULL CHECK (word <> ''),
        PRIMARY KEY (usager_id, word)
      )
    `);
    await queryRunner.query(`
      CREATE FUNCTION usager_name_words_keep() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          DELETE FROM usager_name_words WHERE usager_id = NEW.id;
        END IF;
        INSERT INTO usager_name_words (usager_id, word)
        SELECT DISTINCT NEW.id, w.word
          FROM regexp_split_to_table(usager_name_fold(concat_ws(' ', NEW.given_name, NEW.family_name, NEW.preferred_username)), ' ') AS w(word)
         WHERE w.word <> '';
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER usager_name_words_kept AFTER INSERT OR UPDATE OF given_name, family_name, preferred_username ON usagers
        FOR EACH ROW EXECUTE FUNCTION usager_name_words_keep()
    `);
    await queryRunner.query(USAGER_NAME_WORDS_BACKFILL);
    await queryRunner.query(`CREATE INDEX usager_name_words_word_idx ON usager_name_words (word, usager_id)`);
    await queryRunner.query(`CREATE INDEX usagers_birthdate_idx ON usagers (birthdate) INCLUDE (id, given_name, family_name, preferred_username)`);
    await queryRunner.query(`ANALYZE usager_name_words`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX usagers_birthdate_idx`);
    await queryRunner.query(`DROP TRIGGER usager_name_words_kept ON usagers`);
    await queryRunner.query(`DROP FUNCTION usager_name_words_keep()`);
    await queryRunner.query(`DROP TABLE usager_name_words`);
    await queryRunner.query(`DROP FUNCTION usager_name_fold(text)`);
  }
}
