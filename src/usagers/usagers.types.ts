/**
 * The usagers module's public vocabulary, for other modules (they may not
 * import its entity).
 */
import type { Gender } from '../franceconnect/franceconnect.types.js';

export interface UsagerView {
  id: string;
  givenName: string;
  familyName: string;
  preferredUsername: string | null;
  /** `YYYY-MM-DD`. */
  birthdate: string;
  gender: Gender;
  /** INSEE commune code; empty when born abroad. */
  birthplace: string;
  /** INSEE country code, `99100` for France. */
  birthcountry: string;
  email: string | null;
}

/** What other modules need to name a usager (as on the document: the gender chooses "épouse" or "époux") or find one by name. */
export type UsagerIdentity = Pick<UsagerView, 'id' | 'givenName' | 'familyName' | 'preferredUsername' | 'birthdate' | 'gender'>;

/** The identity fields FranceConnect may report differently from one sign-in to the next. */
export const IDENTITY_FIELDS = [
  'givenName',
  'familyName',
  'preferredUsername',
  'birthdate',
  'gender',
  'birthplace',
  'birthcountry',
  'email',
] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

export type IdentityValues = Omit<UsagerView, 'id'>;

/** The name a usager is addressed by: given names and nom d'usage when there is one. */
export function displayName(usager: Pick<UsagerView, 'givenName' | 'familyName' | 'preferredUsername'>): string {
  return `${usager.givenName} ${usager.preferredUsername ?? usager.familyName}`;
}
