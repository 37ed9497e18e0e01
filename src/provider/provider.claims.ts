import { createHmac } from 'node:crypto';
import { isDemarcheId } from '../demarches/demarches.js';
import { IDENTITY_CLAIMS, PARTNER_SCOPES } from '../partners/partners.types.js';

export { IDENTITY_CLAIMS };

/** Released with `openid`: who acts, for which démarche, under which mandate. */
export const ACTING_CLAIMS = ['sub', 'act', 'demarche', 'mandate', 'rep_scope', 'acr'] as const;

/** Every scope the provider announces: those a partner may be registered for. */
export const PROVIDER_SCOPES = [...PARTNER_SCOPES];

/** Scope → claims, as oidc-provider's `claims` setting. */
export const CLAIMS_BY_SCOPE: Record<string, string[]> = {
  openid: [...ACTING_CLAIMS],
  profile: ['given_name', 'family_name', 'preferred_username', 'birthdate', 'gender', 'birthplace', 'birthcountry'],
  ...Object.fromEntries(IDENTITY_CLAIMS.map((claim) => [claim, [claim]])),
};

/** How the aidant's confirmation page names each identity claim. */
export const IDENTITY_CLAIM_LABELS: Record<(typeof IDENTITY_CLAIMS)[number], string> = {
  given_name: 'prénoms',
  family_name: 'nom de naissance',
  preferred_username: 'nom d’usage',
  birthdate: 'date de naissance',
  gender: 'sexe',
  birthplace: 'lieu de naissance',
  birthcountry: 'pays de naissance',
  email: 'adresse électronique',
};

/** Every claim a partner registered for `scopes` may ever receive. */
export function claimsReleasableWith(scopes: readonly string[]): Set<string> {
  return new Set(scopes.flatMap((scope) => CLAIMS_BY_SCOPE[scope] ?? []));
}

/** The requested scopes the partner is registered for (oidc-provider refuses the others first: invalid_scope). */
export function grantableScopes(requested: string, registered: readonly string[]): string[] {
  return requested.split(' ').filter((scope) => registered.includes(scope));
}

/**
 * The identity claims a sign-in will release: those of the requested scopes
 * and of the `claims` parameter, within what the partner's registered scopes
 * allow. The grant holds exactly these (with the acting claims of `openid`).
 */
export function releasedIdentityClaims(requestedScope: string, claimsParam: unknown, registered: readonly string[]): string[] {
  const releasable = claimsReleasableWith(registered);
  const asked = new Set([...claimsReleasableWith(grantableScopes(requestedScope, registered)), ...requestedClaimNames(claimsParam)]);
  return IDENTITY_CLAIMS.filter((claim) => asked.has(claim) && releasable.has(claim));
}

/**
 * The `claims` parameter's `rep_scope` must name démarches of the catalogue
 * (checked at the authorization request, before any interaction); returns
 * why not, or null. Members must be null or objects, as the library checks.
 */
export function claimsParameterProblem(claims: Record<string, unknown>): string | null {
  for (const target of ['id_token', 'userinfo']) {
    const members = claims[target] as Record<string, unknown> | undefined;
    if (members === undefined) continue;
    for (const value of Object.values(members)) {
      if (value !== null && (typeof value !== 'object' || Array.isArray(value))) return `claims.${target} members must be null or objects`;
    }
    const entry = members.rep_scope as { values?: unknown; value?: unknown } | null | undefined;
    if (entry === undefined || entry === null) continue;
    const values = entry.values !== undefined ? entry.values : entry.value !== undefined ? [entry.value] : [];
    if (!Array.isArray(values) || !values.every((v) => isDemarcheId(v))) return 'rep_scope names an unknown démarche';
  }
  return null;
}

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
