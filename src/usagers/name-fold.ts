/**
 * A name as a search compares it: lower case, without accents, apostrophes,
 * dots and hyphens as spaces: "Élodie D'Arc-Ângel" → "elodie d arc angel".
 * The database keeps the words of usagers' names folded the same way by
 * `usager_name_fold` (migration 1765300000001); a test checks they agree.
 */
export function foldName(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[’'.-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
