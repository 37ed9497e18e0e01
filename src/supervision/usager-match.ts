import { foldName, namesMatch, typedWords } from '../usagers/name-fold.js';
import type { UsagerIdentity } from '../usagers/usagers.types.js';

export { foldName };

/**
 * Does this usager match a search by name (every word typed is the start of
 * one of their names: given names, birth name, nom d'usage) and, if given,
 * birthdate? (The usagers module answers the same question from its index:
 * `UsagersService.identitiesNamed`.)
 */
export function matchesUsager(usager: UsagerIdentity, name: string, birthdate: string | null): boolean {
  if (birthdate !== null && usager.birthdate !== birthdate) return false;
  return namesMatch(usager, typedWords(name));
}
