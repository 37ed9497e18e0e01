import { frenchCalendarDate } from './dates.js';
import { birthplaceName } from './places.js';
import { agree, type FrenchGender } from './words.js';

/** What FranceConnect reports about a person, as the modules hold it (only the names are required). */
export interface IdentityInput {
  /** Every given name, space-separated. */
  givenName: string;
  /** The birth name (`family_name`). */
  familyName: string;
  /** The nom d'usage (`preferred_username`), when there is one. */
  preferredUsername?: string | null;
  /** `YYYY-MM-DD`. */
  birthdate?: string | null;
  gender?: FrenchGender;
  /** INSEE commune code; empty when born abroad. */
  birthplace?: string | null;
  /** INSEE country code, `99100` for France. */
  birthcountry?: string | null;
}

/** A person's identity written as on their identity document, for checking it against the document. */
export interface IdentityDisplay {
  /** "Angela Claire Louise". */
  givenNames: string;
  /** "DUBOIS, épouse DUMEUBLE", or the birth name alone. */
  names: string;
  /** "Angela Claire Louise DUBOIS, épouse DUMEUBLE". */
  fullName: string;
  /** "Angela Claire Louise DUBOIS (épouse DUMEUBLE)": the full name inside a sentence, where a comma would cut it. */
  inSentence: string;
  /** "24 août 1962" ('' when unknown). */
  birthdate: string;
  /** "Vesoul (Haute-Saône)", "Espagne", "70999 (code INSEE)" ('' when unknown). */
  birthplace: string;
  /** "née le 24 août 1962 à Vesoul (Haute-Saône)" ('' when neither is known). */
  birth: string;
  /** The full name and the birth: what the aidant reads out to the person. */
  line: string;
}

/** Names are printed in capitals on the document; FranceConnect sends them so, but not every source does. */
const upper = (name: string) => name.trim().toLocaleUpperCase('fr-FR');

/**
 * The usage name after the birth name, as the identity card prints it: the
 * word agrees with the gender FranceConnect gives ("épouse", "époux"), and
 * is the neutral "nom d’usage" when the gender is unknown.
 */
function namesOf(input: IdentityInput): { birthName: string; usage: string } {
  const birthName = upper(input.familyName);
  const usage = input.preferredUsername ? upper(input.preferredUsername) : '';
  if (!usage || usage === birthName) return { birthName, usage: '' };
  return { birthName, usage: `${agree(input.gender, 'épouse', 'époux', 'nom d’usage')} ${usage}` };
}

function birthOf(input: IdentityInput, birthdate: string): { place: string; phrase: string } {
  const place = birthplaceName(input.birthplace ?? '', input.birthcountry ?? '') ?? '';
  const abroad = !input.birthplace && Boolean(input.birthcountry) && input.birthcountry !== '99100';
  // "à l’étranger (Espagne)"; a code without a name already carries its own parentheses.
  const country = place.endsWith(')') ? `, ${place}` : ` (${place})`;
  const where = place ? (abroad ? ` à l’étranger${country}` : ` à ${place}`) : '';
  if (!birthdate && !where) return { place, phrase: '' };
  const when = birthdate ? ` le ${birthdate}` : '';
  return { place, phrase: `${agree(input.gender, 'née', 'né', 'naissance')}${when}${where}` };
}

export function identityDisplay(input: IdentityInput): IdentityDisplay {
  const givenNames = input.givenName.trim().replace(/\s+/g, ' ');
  const { birthName, usage } = namesOf(input);
  const names = usage ? `${birthName}, ${usage}` : birthName;
  const fullName = givenNames ? `${givenNames} ${names}` : names;
  const inSentence = `${givenNames ? `${givenNames} ` : ''}${birthName}${usage ? ` (${usage})` : ''}`;
  const birthdate = input.birthdate ? frenchCalendarDate(input.birthdate) : '';
  const birth = birthOf(input, birthdate);
  return {
    givenNames,
    names,
    fullName,
    inSentence,
    birthdate,
    birthplace: birth.place,
    birth: birth.phrase,
    line: birth.phrase ? `${fullName}, ${birth.phrase}` : fullName,
  };
}
