import { describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { assessFranceConnect, type CheckExpectations } from './franceconnect-check.js';

const ISSUER = 'https://fc.example.fr/api/v2';
const SERVER: oidc.ServerMetadata = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  userinfo_endpoint: `${ISSUER}/userinfo`,
  jwks_uri: `${ISSUER}/jwks`,
  end_session_endpoint: `${ISSUER}/session/end`,
  id_token_signing_alg_values_supported: ['ES256', 'RS256'],
  userinfo_signing_alg_values_supported: ['ES256', 'RS256'],
  token_endpoint_auth_methods_supported: ['client_secret_post'],
};
const EC_KEY = { kty: 'EC', crv: 'P-256', kid: 'ec-1', use: 'sig', alg: 'ES256', x: 'x', y: 'y' };
const RSA_KEY = { kty: 'RSA', kid: 'rsa-1', use: 'sig', alg: 'RS256', n: 'n', e: 'AQAB' };
const EXPECTED: CheckExpectations = { issuer: ISSUER, idTokenAlg: 'ES256', pkce: false };

describe('assessFranceConnect', () => {
  it('passes FranceConnect v2 as configured, and says what it found', () => {
    const report = assessFranceConnect(SERVER, { keys: [EC_KEY, RSA_KEY] }, EXPECTED);
    expect(report).toEqual({
      ok: true,
      problems: [],
      found: 'ID token ES256/RS256; userinfo JWT ES256; PKCE not sent (announced: none); end session yes; 2 key(s), 1 for ES256 (kid ec-1)',
    });
  });

  it.each<[string, Partial<oidc.ServerMetadata>, Array<Record<string, unknown>>, Partial<CheckExpectations>, string]>([
    ['no end session endpoint', { end_session_endpoint: undefined }, [EC_KEY], {}, 'no end_session_endpoint'],
    ['no token endpoint', { token_endpoint: undefined }, [EC_KEY], {}, 'no token_endpoint'],
    ['the pinned algorithm not announced', { id_token_signing_alg_values_supported: ['RS256'] }, [EC_KEY], {}, 'ID tokens in ES256 (FC_ID_TOKEN_ALG) not announced (RS256)'],
    ['no key for the pinned algorithm', {}, [RSA_KEY], {}, 'no published key for ES256 in the key set'],
    ['an EC key on another curve', {}, [{ ...EC_KEY, crv: 'P-384', alg: undefined }], {}, 'no published key for ES256 in the key set'],
    ['an encryption key only', {}, [{ ...EC_KEY, use: 'enc' }], {}, 'no published key for ES256 in the key set'],
    ['client_secret_post refused', { token_endpoint_auth_methods_supported: ['private_key_jwt'] }, [EC_KEY], {}, 'client_secret_post not accepted (private_key_jwt)'],
    ['PKCE wanted, not announced', {}, [EC_KEY], { pkce: true }, 'FC_PKCE=true but the issuer does not announce S256 PKCE (FranceConnect v2 refuses PKCE: set FC_PKCE=false)'],
  ])('refuses %s', (_what, change, keys, expected, problem) => {
    const report = assessFranceConnect({ ...SERVER, ...change }, { keys }, { ...EXPECTED, ...expected });
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(problem);
  });

  it('accepts PKCE when the issuer announces S256', () => {
    const report = assessFranceConnect({ ...SERVER, code_challenge_methods_supported: ['S256'] }, { keys: [EC_KEY] }, { ...EXPECTED, pkce: true });
    expect(report.ok).toBe(true);
    expect(report.found).toContain('PKCE sent (announced: S256)');
  });
});
