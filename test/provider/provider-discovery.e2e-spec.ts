import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startProviderTestApp } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

describe('provider face: discovery and keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startProviderTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers discovery for the issuer at /.well-known/openid-configuration, endpoints under /oidc', async () => {
    const res = await request(t.url).get('/.well-known/openid-configuration').expect(200);
    const same = await request(t.url).get('/oidc/.well-known/openid-configuration').expect(200);
    expect(same.body).toEqual(res.body);
    expect(res.body.issuer).toBe(t.url);
    expect(res.body.authorization_endpoint).toBe(`${t.url}/oidc/authorize`);
    expect(res.body.token_endpoint).toBe(`${t.url}/oidc/token`);
    expect(res.body.jwks_uri).toBe(`${t.url}/oidc/jwks`);
    expect(res.body.response_types_supported).toEqual(['code']);
    expect(res.body.code_challenge_methods_supported).toEqual(['S256']);
    expect(res.body.grant_types_supported).toEqual(['authorization_code']);
    expect(res.body.token_endpoint_auth_methods_supported.sort()).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    expect(res.body.id_token_signing_alg_values_supported.sort()).toEqual(['ES256', 'RS256']);
    expect(res.body.claims_supported).toEqual(expect.arrayContaining(['act', 'demarche', 'mandate', 'rep_scope', 'acr', 'given_name']));
    expect(res.body.introspection_endpoint).toBe(`${t.url}/oidc/token/introspection`);
    expect(res.body.revocation_endpoint).toBe(`${t.url}/oidc/token/revocation`);
    expect(res.body.end_session_endpoint).toBe(`${t.url}/oidc/session/end`);
    expect(res.body.claims_parameter_supported).toBe(true);
  });

  it('publishes an ES256 and an RS256 public key of its own', async () => {
    const res = await request(t.url).get('/oidc/jwks').expect(200);
    const algs = res.body.keys.map((k: { alg: string }) => k.alg).sort();
    expect(algs).toEqual(['ES256', 'RS256']);
    for (const key of res.body.keys) {
      expect(key.d).toBeUndefined();
      expect(key.kid).toMatch(/^provider-/);
    }
    const service = await request(t.url).get('/.well-known/procuration/jwks.json').expect(200);
    const serviceKids = service.body.keys.map((k: { kid: string }) => k.kid);
    for (const key of res.body.keys) expect(serviceKids).not.toContain(key.kid);
  });
});
