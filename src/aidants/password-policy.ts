import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * Password policy (ANSSI / ASVS spirit): at least 12 characters, at most 128,
 * not a common or breached password, and not built on the person's own names
 * or email. No composition rules: length and these checks matter, forced
 * symbols do not.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export interface PasswordOwner {
  email: string;
  givenName: string;
  familyName: string;
}

/** French message of the first broken rule, or null when the password is acceptable. */
export function passwordProblem(password: string, owner: PasswordOwner): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `Le mot de passe doit contenir au moins ${PASSWORD_MIN_LENGTH} caractères.`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `Le mot de passe doit contenir au plus ${PASSWORD_MAX_LENGTH} caractères.`;
  }
  const folded = fold(password);
  const personal = personalWords(owner);
  if (personal.some((word) => folded.includes(word))) {
    return 'Le mot de passe ne doit contenir ni votre nom, ni votre prénom, ni votre adresse électronique.';
  }
  if (isContextWords(folded)) {
    return 'Le mot de passe ne doit pas être fait des mots du service (Procuration, aidant, mandat, FranceConnect…) : choisissez-en un autre, par exemple une phrase de plusieurs mots.';
  }
  const common = commonProblem(password);
  if (common) return common;
  if (new Set(folded).size < 4) {
    return 'Le mot de passe est trop répétitif : variez les caractères.';
  }
  return null;
}

/**
 * About 49,000 passwords most often found in public breaches, shipped with the
 * `@zxcvbn-ts/language-common` package (read once at start, no network):
 * the list keeps its own case-folding, lower case.
 */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(dictionary['passwords-common']);

/** Digits, punctuation and spaces people add around a word to pass a length rule. */
const DECORATION = /^[^\p{L}]+|[^\p{L}]+$/gu;

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}

/**
 * A listed password, or a listed word of 4 letters or more with only digits
 * and symbols around it ("Marseille2026!!"): both fall to the first guesses
 * of an attacker's dictionary with its usual mangling rules.
 */
function commonProblem(password: string): string | null {
  if (isCommonPassword(password)) {
    return 'Ce mot de passe figure parmi les plus courants ou les plus souvent divulgués : choisissez-en un autre, par exemple une phrase de plusieurs mots.';
  }
  const core = password.toLowerCase().replace(DECORATION, '');
  if (core.length >= 4 && core !== password.toLowerCase() && COMMON_PASSWORDS.has(core)) {
    return 'Ce mot de passe est un mot de passe courant auquel on a ajouté des chiffres ou des symboles : choisissez-en un autre, par exemple une phrase de plusieurs mots.';
  }
  return null;
}

/**
 * Words of this service that an attacker tries first against its accounts
 * (ASVS 6.1.2): a password whose letters are only these words, with any
 * digits or symbols around or between them ("Procuration2026!",
 * "aidants-connect-75"), is refused. A longer phrase that merely contains
 * one of them is accepted.
 */
export const CONTEXT_WORDS: readonly string[] = [
  'procuration', 'procurations', 'aidant', 'aidants', 'aidante', 'aidantes', 'connect', 'france', 'franceconnect',
  'mandat', 'mandats', 'usager', 'usagers', 'referent', 'referente', 'structure', 'habilitation', 'demarche',
  'demarches', 'motdepasse', 'mot', 'de', 'passe', 'bienvenue',
];

/** Whether the letters of `folded` are nothing but context words, one after another. */
function isContextWords(folded: string): boolean {
  const letters = folded.replace(/[^\p{L}]/gu, '');
  if (letters.length === 0) return false;
  // reachable[i]: the first i letters split into context words.
  const reachable = [true, ...Array<boolean>(letters.length).fill(false)];
  for (let i = 0; i < letters.length; i++) {
    if (!reachable[i]) continue;
    for (const word of CONTEXT_WORDS) if (letters.startsWith(word, i)) reachable[i + word.length] = true;
  }
  return reachable[letters.length]!;
}

/** Lower case without accents, so "Élodie" and "elodie" are the same word. */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Names, name parts and the email's local part, at least 3 characters long. */
function personalWords(owner: PasswordOwner): string[] {
  // The email's local part and its pieces count; its domain (shared by a whole office) does not.
  const local = owner.email.split('@')[0] ?? '';
  const words = [owner.givenName, owner.familyName, local]
    .flatMap((value) => [value, ...value.split(/[\s'’.\-_+]+/)])
    .concat(owner.email)
    .map(fold)
    .filter((word) => word.length >= 3);
  return [...new Set(words)];
}
