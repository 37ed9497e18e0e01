import { foldName } from '../usagers/name-fold.js';

export { foldName };

/** The part of a usager's identity a référent searches by. */
export interface UsagerIdentity {
  id: string;
  givenName: string;
  familyName: string;
  preferredUsername: string | null;
  birthdate: string;
}

/**
 * Does this usager match a search by name (every word typed is the start of
 * one of their names: given names, birth name, nom d'usage) and, if given,
 * birthdate?
 */
export function matchesUsager(usager: UsagerIdentity, name: string, birthdate: string | null): boolean {
  if (birthdate !== null && usager.birthdate !== birthdate) return false;
  const words = foldName([usager.givenName, usager.familyName, usager.preferredUsername ?? ''].join(' ')).split(' ');
  const typed = foldName(name).split(' ').filter((w) => w !== '');
  return typed.length > 0 && typed.every((t) => words.some((w) => w.startsWith(t)));
}
