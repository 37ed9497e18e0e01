import { createHmac } from 'node:crypto';

/** The usager's identity claims, each released by the scope of the same name (FranceConnect style). */
export const IDENTITY_CLAIMS = [
  'given_name',
  'family_name',
  'preferred_username',
  'birthdate',
  'gender',
  'birthplace',
  'birthcountry',
  'email',
] as const;

/** Released with `openid`: who acts, for which démarche, under which mandate. */
export const ACTING_CLAIMS = ['sub', 'act', 'demarche', 'mandate', 'rep_scope', 'acr'] as const;

export const PROVIDER_SCOPES = ['openid', 'profile', ...IDENTITY_CLAIMS.filter((c) => c !== 'email'), 'email'];

/** Scope → claims, as oidc-provider's `claims` setting. */
export const CLAIMS_BY_SCOPE: Record<string, string[]> = {
  openid: [...ACTING_CLAIMS],
  profile: ['given_name', 'family_name', 'preferred_username', 'birthdate', 'gender', 'birthplace', 'birthcountry'],
  ...Object.fromEntries(IDENTITY_CLAIMS.map((claim) => [claim, [claim]])),
};

/**
 * The usager's `sub` for one partner: stable for that partner, unlinkable
 * across partners (HMAC-SHA-256 of usager id and client id under
 * PROVIDER_PAIRWISE_KEY), 64 hex characters.
 */
export function pairwiseSub(key: string, usagerId: string, clientId: string): string {
  return createHmac('sha256', key).update(`${usagerId}\n${clientId}`).digest('hex');
}

/** The `rep_scope` values asked for as essential in the `claims` parameter (ID token or userinfo), or null. */
export function requestedRepScope(claimsParam: unknown): string[] | null {
  if (typeof claimsParam !== 'string' || claimsParam === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(claimsParam);
  } catch {
    return null;
  }
  const values = new Set<string>();
  let asked = false;
  for (const target of ['id_token', 'userinfo']) {
    const entry = (parsed as Record<string, Record<string, unknown> | undefined>)?.[target]?.rep_scope as
      | { values?: unknown; value?: unknown }
      | null
      | undefined;
    if (entry === undefined) continue;
    asked = true;
    const list = Array.isArray(entry?.values) ? entry.values : entry?.value !== undefined ? [entry.value] : [];
    for (const v of list) if (typeof v === 'string') values.add(v);
  }
  return asked ? [...values] : null;
}

/** Claim names requested through the `claims` parameter, for the grant. */
export function requestedClaimNames(claimsParam: unknown): string[] {
  if (typeof claimsParam !== 'string' || claimsParam === '') return [];
  try {
    const parsed = JSON.parse(claimsParam) as Record<string, Record<string, unknown> | null | undefined>;
    return [...new Set([...Object.keys(parsed.id_token ?? {}), ...Object.keys(parsed.userinfo ?? {})])];
  } catch {
    return [];
  }
}
