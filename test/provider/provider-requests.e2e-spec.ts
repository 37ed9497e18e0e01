import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, generateKeyPair } from 'jose';
import request from 'supertest';
import { registerPartner, startProviderTestApp } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT = 'https://partenaire.example/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('provider face: authorization and client authentication faults', () => {
  let t: TestApp;
  let clientId: string;
  let secret: string;
  beforeAll(async () => {
    t = await startProviderTestApp();
    const registered = await registerPartner(t, { redirectUris: [REDIRECT] });
    clientId = registered.partner.clientId;
    secret = registered.secret!;
  });
  afterAll(async () => {
    await t?.close();
  });

  const authorize = (params: Record<string, string | undefined>) => {
    const query = new URLSearchParams();
    const all = {
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid given_name',
      state: 's'.repeat(32),
      nonce: 'n'.repeat(32),
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) query.set(k, v);
    return request(t.url).get(`/oidc/authorize?${query}`);
  };

  it('starts an interaction on our own pages for a well-formed request', async () => {
    const res = await authorize({}).expect(303);
    expect(res.headers.location).toMatch(/^\/partenaires\/connexion\/[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['unknown client', { client_id: 'partenaire-inconnu' }, 'invalid_client'],
    ['redirect URI not registered', { redirect_uri: 'https://evil.example/callback' }, 'invalid_redirect_uri'],
    ['redirect URI differing by a trailing slash', { redirect_uri: `${REDIRECT}/` }, 'invalid_redirect_uri'],
  ])('%s: a French error page, never a redirect', async (_label, params, error) => {
    const res = await authorize(params).expect(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Connexion impossible');
    expect(res.text).toContain(error);
  });

  it.each([
    ['no PKCE challenge', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    ['response_type id_token', { response_type: 'id_token' }, 'unsupported_response_type'],
    ['unknown prompt', { prompt: 'select_account_please' }, 'invalid_request'],
    ['unsigned request object', { request: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.` }, 'invalid_request_object'],
  ])('%s: the OIDC error sent back to the registered redirect URI', async (_label, params, error) => {
    const res = await authorize(params).expect(303);
    const location = new URL(res.headers.location!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    // Implicit response types answer in the fragment, as OAuth 2.0 specifies for them.
    const answer = location.hash ? new URLSearchParams(location.hash.slice(1)) : location.searchParams;
    expect(answer.get('error')).toBe(error);
    expect(answer.get('state')).toBe('s'.repeat(32));
    expect(answer.get('iss')).toBe(t.url);
  });

  it('refuses a request object signed by a key that is not the client’s', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(clientId)
      .setAudience(t.url)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(privateKey);
    const res = await authorize({ request: jwt }).expect(303);
    expect(new URL(res.headers.location!).searchParams.get('error')).toBe('invalid_request_object');
  });

  it.each([
    ['wrong secret (basic)', (r: request.Test) => r.auth(clientId, 'wrong-secret')],
    ['wrong secret (post)', (r: request.Test) => r.send(`client_id=${clientId}&client_secret=wrong`)],
    ['unknown client', (r: request.Test) => r.auth('partenaire-inconnu', secret)],
    ['no authentication', (r: request.Test) => r.send(`client_id=${clientId}`)],
  ])('token endpoint, %s: invalid_client', async (_label, authenticate) => {
    const base = request(t.url).post('/oidc/token').type('form');
    const res = await authenticate(base.send(`grant_type=authorization_code&code=abc&redirect_uri=${encodeURIComponent(REDIRECT)}&code_verifier=${'v'.repeat(43)}`));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('token endpoint, right secret but an unknown code: invalid_grant', async () => {
    const res = await request(t.url)
      .post('/oidc/token')
      .type('form')
      .auth(clientId, secret)
      .send(`grant_type=authorization_code&code=abc&redirect_uri=${encodeURIComponent(REDIRECT)}&code_verifier=${'v'.repeat(43)}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('refuses refresh and client credentials grants', async () => {
    for (const grant of ['refresh_token', 'client_credentials']) {
      const res = await request(t.url).post('/oidc/token').type('form').auth(clientId, secret).send(`grant_type=${grant}&refresh_token=x`);
      expect(res.status).toBe(400);
      expect(['invalid_request', 'unsupported_grant_type', 'unauthorized_client']).toContain(res.body.error);
      expect(res.body.access_token).toBeUndefined();
    }
  });

  it('a disabled partner is an unknown client', async () => {
    const other = await registerPartner(t, { name: 'Autre service', redirectUris: [REDIRECT] });
    const { PartnersService } = await import('../../src/partners/partners.service.js');
    const { TransactionRunner } = await import('../../src/database/transaction-runner.js');
    await t.app.get(TransactionRunner).run((m) => t.app.get(PartnersService).disable(m, other.partner.clientId, { type: 'operator', id: 'test' }));
    const res = await authorize({ client_id: other.partner.clientId }).expect(400);
    expect(res.text).toContain('invalid_client');
  });

  it('the interaction page without its cookie: a French page', async () => {
    const res = await request(t.url).get('/partenaires/connexion/abcdefghijklmnop').expect(400);
    expect(res.text).toContain('Connexion expirée');
  });
});
