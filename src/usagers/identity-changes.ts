import type { VerifiedIdentity } from '../franceconnect/franceconnect.types.js';
import { IDENTITY_FIELDS, type IdentityField, type IdentityValues } from './usagers.types.js';

export type IdentityChanges = Partial<Record<IdentityField, { from: string | null; to: string | null }>>;

/** The identity as stored: optional claims become null. */
export function identityValuesOf(identity: VerifiedIdentity): IdentityValues {
  return {
    givenName: identity.givenName,
    familyName: identity.familyName,
    preferredUsername: identity.preferredUsername ?? null,
    birthdate: identity.birthdate,
    gender: identity.gender,
    birthplace: identity.birthplace,
    birthcountry: identity.birthcountry,
    email: identity.email ?? null,
  };
}

/** The fields whose reported value differs from the stored one, with both values. Pure. */
export function identityChanges(stored: IdentityValues, reported: IdentityValues): IdentityChanges {
  const changes: IdentityChanges = {};
  for (const field of IDENTITY_FIELDS) {
    const from = stored[field];
    const to = reported[field];
    if (from !== to) changes[field] = { from, to };
  }
  return changes;
}
