/**
 * French agreement rules the pages need: elision of "de", gender agreement
 * from the FranceConnect `gender` claim, plural agreement of counts.
 */

/**
 * Words starting with an aspirated h, which takes no elision ("de Haute-Saône",
 * "de hasard"). Every other h is taken as mute ("d’Hélène", "d’Hugo"), which is
 * what first names almost always are.
 */
const ASPIRATED_H = [
  'hach', 'haie', 'hain', 'hall', 'halt', 'hamac', 'hamea', 'hanch', 'handic', 'hangar', 'hant', 'harc', 'hard', 'hareng',
  'haric', 'harp', 'hasard', 'hâte', 'haut', 'hauss', 'havre', 'héros', 'hibou', 'hiérarch', 'hocke', 'hollan', 'hongr',
  'honte', 'hors', 'houx', 'huit', 'hurl', 'hutte',
];

const VOWEL = /^[aeiouàâäéèêëîïôöûüùœæ]/i;

/** Whether "de" (or "le", "que") loses its vowel before `word`. */
export function elides(word: string): boolean {
  const w = word.trim().toLowerCase();
  if (!w) return false;
  if (VOWEL.test(w)) return true;
  // Y before a consonant sounds as a vowel (Yves); before a vowel it is a consonant (Yannick, Yasmine).
  if (w.startsWith('y')) return w.length > 1 && !VOWEL.test(w.slice(1)) && w[1] !== 'y';
  if (w.startsWith('h')) return !ASPIRATED_H.some((stem) => w.startsWith(stem));
  return false;
}

/** "de Karim", "d’Angela", "d’Hélène", "de Haute-Saône". */
export function de(word: string): string {
  return elides(word) ? `d’${word.trim()}` : `de ${word.trim()}`;
}

/** The FranceConnect `gender` claim; anything else reads as unknown. */
export type FrenchGender = 'female' | 'male' | string | null | undefined;

/**
 * The word agreeing with `gender`: `female` or `male`, and `neutral` when the
 * gender is unknown (a wording that needs no agreement, never "né(e)").
 */
export function agree(gender: FrenchGender, female: string, male: string, neutral: string): string {
  if (gender === 'female') return female;
  if (gender === 'male') return male;
  return neutral;
}

/** "0 révoqué", "1 révoqué", "2 révoqués" (French counts 0 and 1 as singular). */
export function plural(count: number, singular: string, pluralForm?: string): string {
  return `${count} ${count > 1 ? (pluralForm ?? `${singular}s`) : singular}`;
}

/** The word alone, agreeing with `count` ("mandat arrive" / "mandats arrivent"). */
export function pluralWord(count: number, singular: string, pluralForm?: string): string {
  return count > 1 ? (pluralForm ?? `${singular}s`) : singular;
}
