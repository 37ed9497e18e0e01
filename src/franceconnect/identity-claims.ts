/**
 * The identity claims of FranceConnect v2 (its "identité pivot" plus email
 * and nom d'usage), checked before anything is created from them.
 */

export const FRANCE_INSEE_CODE = '99100';
export const GENDERS = ['male', 'female'] as const;
export type Gender = (typeof GENDERS)[number];

export interface IdentityClaims {
  givenName: string;
  familyName: string;
  /** Nom d'usage, when it differs from the birth name. */
  preferredUsername?: string;
  /** `YYYY-MM-DD`. */
  birthdate: string;
  gender: Gender;
  /** INSEE code of the commune of birth; empty when born abroad. */
  birthplace: string;
  /** INSEE code of the country of birth, `99100` for France. */
  birthcountry: string;
  email?: string;
}

export type ClaimsCheck = { ok: true; claims: IdentityClaims } | { ok: false; invalid: string[] };

/** INSEE commune codes: 5 digits, or Corsica's 2A/2B followed by 3 digits. */
const COMMUNE_CODE = /^(?:\d{5}|2[AB]\d{3})$/;
/** INSEE country codes all start with 99. */
const COUNTRY_CODE = /^99\d{3}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_NAME = 256;

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= MAX_NAME && !/[\p{Cc}]/u.test(value);
}

/** A real calendar date, not in the future, not before 1850. */
export function isBirthdate(value: unknown, now: Date): value is string {
  if (typeof value !== 'string') return false;
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real && year >= 1850 && date.getTime() <= now.getTime();
}

function optional(value: unknown): unknown {
  return value === undefined || value === null || value === '' ? undefined : value;
}

/**
 * Checks raw userinfo claims. Pure: `now` is given. Returns the normalised
 * identity, or the names (never the values) of the claims that are wrong.
 */
export function validateIdentityClaims(raw: Readonly<Record<string, unknown>>, now: Date): ClaimsCheck {
  const invalid: string[] = [];
  const check = (name: string, ok: boolean) => {
    if (!ok) invalid.push(name);
  };
  check('given_name', isName(raw.given_name));
  check('family_name', isName(raw.family_name));
  const preferred = optional(raw.preferred_username);
  check('preferred_username', preferred === undefined || isName(preferred));
  check('birthdate', isBirthdate(raw.birthdate, now));
  check('gender', GENDERS.includes(raw.gender as Gender));
  const country = raw.birthcountry;
  const countryOk = typeof country === 'string' && COUNTRY_CODE.test(country);
  check('birthcountry', countryOk);
  const place = raw.birthplace ?? '';
  if (countryOk) {
    // Born in France: a commune code; born abroad: no commune at all.
    const bornInFrance = country === FRANCE_INSEE_CODE;
    check('birthplace', typeof place === 'string' && (bornInFrance ? COMMUNE_CODE.test(place) : place === ''));
  } else {
    check('birthplace', typeof place === 'string' && (place === '' || COMMUNE_CODE.test(place)));
  }
  const email = optional(raw.email);
  check('email', email === undefined || (typeof email === 'string' && email.length <= 254 && EMAIL.test(email)));
  if (invalid.length > 0) return { ok: false, invalid };
  return {
    ok: true,
    claims: {
      givenName: (raw.given_name as string).trim(),
      familyName: (raw.family_name as string).trim(),
      ...(preferred === undefined ? {} : { preferredUsername: (preferred as string).trim() }),
      birthdate: raw.birthdate as string,
      gender: raw.gender as Gender,
      birthplace: place as string,
      birthcountry: country as string,
      ...(email === undefined ? {} : { email: email as string }),
    },
  };
}
