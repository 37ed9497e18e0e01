import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { DemarcheId } from '../demarches/demarches.js';
import type { Duration } from '../mandates/mandate-status.js';
import { foldName } from '../usagers/name-fold.js';

/** A request lives 24 hours from its creation (the database checks the same). */
export const CONSENT_REQUEST_LIFETIME_MS = 24 * 3600 * 1000;

/** Letters and digits a person reads out and types without confusion: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V. */
export const CODE_ALPHABET = '3467ACDEFGHJKMNPQRTWXY';
export const CODE_LENGTH = 8;

export type ConsentChannel = 'email' | 'phone';
export type ConsentRequestStatus = 'pending' | 'accepted' | 'refused' | 'expired' | 'cancelled' | 'identity_mismatch';

/** A consent request as the services read it (the hashed token and code stay in the repository). */
export interface ConsentRequest {
  id: string;
  structureId: string;
  aidantId: string;
  expectedFamilyName: string;
  expectedGivenName: string;
  expectedFamilyFold: string;
  expectedGivenFold: string;
  /** YYYY-MM-DD. */
  expectedBirthdate: string;
  demarches: DemarcheId[];
  duration: Duration;
  channel: ConsentChannel;
  status: ConsentRequestStatus;
  refusalReason: 'usager' | 'aidant_unavailable' | null;
  totpConfirmedAt: Date;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  mandateId: string | null;
}

/** The status a person sees: a pending request past its end is expired, whether or not a write marked it yet. */
export function effectiveStatus(request: Pick<ConsentRequest, 'status' | 'expiresAt'>, now: Date): ConsentRequestStatus {
  return request.status === 'pending' && request.expiresAt.getTime() <= now.getTime() ? 'expired' : request.status;
}

/**
 * The stored digest of a phone code. A code has only about 36 bits
 * (22^8): a plain SHA-256 of every possible code takes seconds to compute,
 * so a copy of the database would give away the pending codes. The digest is
 * keyed (HMAC-SHA-256 under a key derived from SESSION_SECRET, which never
 * sits in the database); the link's token, 256 random bits, needs no key.
 */
export function codeDigest(code: string, secret: string): string {
  const key = createHmac('sha256', secret).update('procuration consent code digest').digest();
  return createHmac('sha256', key).update(code, 'utf8').digest('hex');
}

/** 256 random bits, base64url (43 characters): the link's secret. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isTokenShaped(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** 8 characters of CODE_ALPHABET (22^8 ≈ 5.5 × 10^10), drawn without bias. */
export function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** The code as typed (spaces, dashes, lower case tolerated), or null when it cannot be one. */
export function normaliseCode(typed: unknown): string | null {
  if (typeof typed !== 'string' || typed.length > 40) return null;
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  const shape = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);
  return shape.test(code) ? code : null;
}

/** `ABCD EFGH`: read out in two groups of four. */
export function spacedCode(code: string): string {
  return `${code.slice(0, 4)} ${code.slice(4)}`;
}

/**
 * The first given name as FranceConnect lists given names (separated by
 * spaces; a compound name such as "Paul-Antoine" is one given name).
 */
export function firstGivenName(givenNames: string): string {
  return givenNames.trim().split(/\s+/)[0] ?? '';
}

/**
 * Which expected fields the identity FranceConnect returned does not match,
 * compared folded as the usager search folds names (docs/decisions/0506):
 * the birth name whole; the given name typed by the aidant equal to the
 * first given name or to all of them; the birth date exactly.
 */
export function mismatchedFields(
  expected: Pick<ConsentRequest, 'expectedFamilyFold' | 'expectedGivenFold' | 'expectedBirthdate'>,
  identity: { familyName: string; givenName: string; birthdate: string },
): Array<'family_name' | 'given_name' | 'birthdate'> {
  const fields: Array<'family_name' | 'given_name' | 'birthdate'> = [];
  if (foldName(identity.familyName) !== expected.expectedFamilyFold) fields.push('family_name');
  const given = [foldName(firstGivenName(identity.givenName)), foldName(identity.givenName)];
  if (!given.includes(expected.expectedGivenFold)) fields.push('given_name');
  if (identity.birthdate !== expected.expectedBirthdate) fields.push('birthdate');
  return fields;
}

/** A date typed as 24/08/1962 or 1962-08-24, as YYYY-MM-DD; '' when it is not a real date. */
export function isoDate(typed: string): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typed);
  const french = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(typed);
  const parts = iso ? [iso[1], iso[2], iso[3]] : french ? [french[3], french[2], french[1]] : null;
  if (!parts) return '';
  const [y, m, d] = parts.map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return '';
  return date.toISOString().slice(0, 10);
}
