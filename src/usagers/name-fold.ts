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

/** The distinct words of a name typed in a search, folded. */
export function typedWords(name: string): string[] {
  return [...new Set(foldName(name).split(' ').filter((w) => w !== ''))];
}

/**
 * Is every word typed the start of one of these names' words (given names,
 * birth name, nom d'usage)? No word typed matches nobody.
 */
export function namesMatch(names: { givenName: string; familyName: string; preferredUsername: string | null }, typed: readonly string[]): boolean {
  const words = foldName([names.givenName, names.familyName, names.preferredUsername ?? ''].join(' ')).split(' ');
  return typed.length > 0 && typed.every((t) => words.some((w) => w.startsWith(t)));
}
