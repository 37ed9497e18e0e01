import type * as oidc from 'openid-client';

/** What the start-up check compares FranceConnect's announcements with. */
export interface CheckExpectations {
  issuer: string;
  idTokenAlg: 'ES256' | 'RS256';
  pkce: boolean;
}

export interface CheckReport {
  ok: boolean;
  /** Incompatibilities, each a short English phrase naming what is missing or wrong. */
  problems: string[];
  /** What was found, for the one start-up line. */
  found: string;
}

const REQUIRED_ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint'] as const;

/** A public key that can check `alg` signatures, as openid-client will select it. */
function usableFor(alg: 'ES256' | 'RS256', key: Record<string, unknown>): boolean {
  if (key.use !== undefined && key.use !== 'sig') return false;
  if (key.alg !== undefined && key.alg !== alg) return false;
  return alg === 'ES256' ? key.kty === 'EC' && key.crv === 'P-256' : key.kty === 'RSA';
}

/**
 * Compares FranceConnect's discovery document and key set with the
 * configuration: the endpoints the round trip uses, the pinned signing
 * algorithm (announced, and at least one published key for it), client
 * authentication by `client_secret_post`, and S256 PKCE when FC_PKCE is on.
 */
export function assessFranceConnect(
  server: oidc.ServerMetadata,
  jwks: { keys: Array<Record<string, unknown>> },
  expected: CheckExpectations,
): CheckReport {
  const problems: string[] = [];
  for (const endpoint of REQUIRED_ENDPOINTS) {
    if (typeof server[endpoint] !== 'string') problems.push(`no ${endpoint}`);
  }
  const algs = server.id_token_signing_alg_values_supported;
  if (!algs?.includes(expected.idTokenAlg)) {
    problems.push(`ID tokens in ${expected.idTokenAlg} (FC_ID_TOKEN_ALG) not announced (${algs?.join(', ') || 'none'})`);
  }
  const auth = server.token_endpoint_auth_methods_supported;
  if (auth && !auth.includes('client_secret_post')) problems.push(`client_secret_post not accepted (${auth.join(', ')})`);
  const pkceMethods = server.code_challenge_methods_supported;
  if (expected.pkce && !pkceMethods?.includes('S256')) {
    problems.push('FC_PKCE=true but the issuer does not announce S256 PKCE (FranceConnect v2 refuses PKCE: set FC_PKCE=false)');
  }
  const usable = jwks.keys.filter((key) => usableFor(expected.idTokenAlg, key));
  if (usable.length === 0) problems.push(`no published key for ${expected.idTokenAlg} in the key set`);

  const userinfo = server.userinfo_signing_alg_values_supported?.includes(expected.idTokenAlg) ? `JWT ${expected.idTokenAlg}` : 'JSON';
  const found = [
    `ID token ${algs?.join('/') || 'alg not announced'}`,
    `userinfo ${userinfo}`,
    `PKCE ${expected.pkce ? 'sent' : 'not sent'} (announced: ${pkceMethods?.join('/') || 'none'})`,
    `end session ${server.end_session_endpoint ? 'yes' : 'no'}`,
    `${jwks.keys.length} key(s), ${usable.length} for ${expected.idTokenAlg}${usable.length ? ` (kid ${usable.map((key) => String(key.kid ?? '-')).join(', ')})` : ''}`,
  ].join('; ');
  return { ok: problems.length === 0, problems, found };
}
