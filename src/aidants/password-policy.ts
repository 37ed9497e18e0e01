/**
 * Password policy (ANSSI / ASVS spirit): at least 12 characters, at most 128,
 * and not built on the person's own names or email. No composition rules:
 * length and personal-data checks matter, forced symbols do not.
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
  if (new Set(folded).size < 4) {
    return 'Le mot de passe est trop répétitif : variez les caractères.';
  }
  return null;
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
