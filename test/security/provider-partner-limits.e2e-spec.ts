import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { openMandate } from '../support/mandates.js';
import { createUsager, partnerClient, pathOf, refreshTarget, registerPartner, startAuthorization, startProviderTestApp, uidOf } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT = 'https://limite.example/cb';
const REDIRECT_POST = 'https://post.example/cb';
type Agent = ReturnType<typeof browser>;

/**
 * ASVS 10.4.11 / 10.7.2: a partner receives only the claims of the scopes it
 * is registered for, whatever it asks; it authenticates only with the method
 * it registered; a rep_scope naming no démarche is refused at once.
 */
describe('security: what a partner may ask for and how it authenticates', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let alice: string;
  let limited: { clientId: string; secret: string };
  let postOnly: { clientId: string; secret: string };
  let client: oidc.Configuration;
  let agent: Agent;

  beforeAll(async () => {
    t = await startProviderTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }, { clock });
    const structure = await seedStructure(t, 'Médiathèque de Test', '21700550300016');
    const aidantId = await seedAidant(t, { email: 'aidant@test.example', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    alice = await createUsager(t, { givenName: 'Alice', familyName: 'Durand', email: 'alice@example.org' });
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement'] });
    const a = await registerPartner(t, { name: 'Service limité', redirectUris: [REDIRECT], scopes: ['openid', 'given_name', 'family_name'] });
    limited = { clientId: a.partner.clientId, secret: a.secret! };
    const b = await registerPartner(t, { name: 'Service post', authMethod: 'client_secret_post', redirectUris: [REDIRECT_POST] });
    postOnly = { clientId: b.partner.clientId, secret: b.secret! };
    client = await partnerClient(t.url, limited.clientId, limited.secret);
    agent = browser(t);
    const page = await agent.get('/aidant/connexion').expect(200);
    await agent
      .post('/aidant/connexion')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: 'aidant@test.example', password: TEST_PASSWORD, totp: totpAt(clock) })
      .expect(303);
  });
  afterAll(async () => {
    await t?.close();
  });

  const ALL_CLAIMS = Object.fromEntries(
    ['given_name', 'family_name', 'email', 'birthdate', 'birthplace', 'birthcountry', 'gender', 'preferred_username'].map((c) => [c, null]),
  );

  async function signIn(params: Record<string, string>) {
    const start = await startAuthorization(client, REDIRECT, params);
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    const recap = await agent.get(`/partenaires/connexion/${uid}/confirmation?usager=${alice}&demarche=logement`).expect(200);
    const confirmed = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(recap.text), usager: alice, demarche: 'logement' }).expect(200);
    const callback = new URL((await agent.get(refreshTarget(confirmed)).expect(303)).headers.location!);
    const tokens = await oidc.authorizationCodeGrant(client, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    return { recap, tokens };
  }

  it('with scope=openid and a claims request for everything, releases only the registered scopes’ claims', async () => {
    const { tokens } = await signIn({ scope: 'openid', claims: JSON.stringify({ userinfo: ALL_CLAIMS, id_token: ALL_CLAIMS }) });
    const userinfo = await oidc.fetchUserInfo(client, tokens.access_token, tokens.claims()!.sub);
    for (const claims of [userinfo, tokens.claims()!]) {
      expect(claims).toMatchObject({ given_name: 'Alice', family_name: 'Durand', demarche: 'logement', acr: 'eidas1' });
      for (const hidden of ['email', 'birthdate', 'birthplace', 'birthcountry', 'gender']) expect(claims).not.toHaveProperty(hidden);
    }
  });

  it('the aidant’s confirmation page lists what the partner will receive, and nothing more', async () => {
    const start = await startAuthorization(client, REDIRECT, { scope: 'openid given_name family_name' });
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    const recap = await agent.get(`/partenaires/connexion/${uid}/confirmation?usager=${alice}&demarche=logement`).expect(200);
    expect(recap.text).toContain('prénoms');
    expect(recap.text).toContain('nom de naissance');
    expect(recap.text).not.toContain('adresse électronique');
    expect(recap.text).not.toContain('date de naissance');
  });

  it('a scope the partner is not registered for is refused with invalid_scope', async () => {
    const start = await startAuthorization(client, REDIRECT, { scope: 'openid email' });
    const res = await agent.get(pathOf(start.url)).expect(303);
    const back = new URL(res.headers.location!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
  });

  it.each([
    ['an unknown démarche', ['logement', 'inconnue']],
    ['a value that is not a string', ['logement', 42]],
  ])('refuses rep_scope with %s at the authorization request', async (_label, values) => {
    const claims = JSON.stringify({ id_token: { rep_scope: { essential: true, values } } });
    const start = await startAuthorization(client, REDIRECT, { scope: 'openid', claims });
    const res = await agent.get(pathOf(start.url)).expect(303);
    const back = new URL(res.headers.location!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toContain('rep_scope');
  });

  const tokenCall = () =>
    request(t.url)
      .post('/oidc/token')
      .type('form');
  const body = (extra: Record<string, string>) =>
    new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43), ...extra }).toString();

  it('a client_secret_basic partner cannot authenticate with client_secret_post', async () => {
    const basic = await tokenCall().auth(limited.clientId, limited.secret).send(body({}));
    expect(basic.body.error).toBe('invalid_grant'); // authenticated, the code is made up
    const post = await tokenCall().send(body({ client_id: limited.clientId, client_secret: limited.secret }));
    expect(post.status).toBe(401);
    expect(post.body.error).toBe('invalid_client');
  });

  it('a client_secret_post partner cannot authenticate with client_secret_basic, at the token, introspection and revocation endpoints', async () => {
    const post = await tokenCall().send(body({ client_id: postOnly.clientId, client_secret: postOnly.secret, redirect_uri: REDIRECT_POST }));
    expect(post.body.error).toBe('invalid_grant');
    const basic = await tokenCall().auth(postOnly.clientId, postOnly.secret).send(body({ redirect_uri: REDIRECT_POST }));
    expect(basic.status).toBe(401);
    expect(basic.body.error).toBe('invalid_client');
    for (const path of ['/oidc/token/introspection', '/oidc/token/revocation']) {
      const res = await request(t.url).post(path).type('form').auth(postOnly.clientId, postOnly.secret).send('token=abc');
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    }
  });

  it('introspection without client authentication is refused', async () => {
    const res = await request(t.url).post('/oidc/token/introspection').type('form').send('token=abc');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('a real code presented with the wrong method gets invalid_client, and what it issued is ended and journaled', async () => {
    const start = await startAuthorization(client, REDIRECT, { scope: 'openid given_name' });
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    const recap = await agent.get(`/partenaires/connexion/${uid}/confirmation?usager=${alice}&demarche=logement`).expect(200);
    const confirmed = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(recap.text), usager: alice, demarche: 'logement' }).expect(200);
    const callback = new URL((await agent.get(refreshTarget(confirmed)).expect(303)).headers.location!);
    const code = callback.searchParams.get('code')!;
    const res = await tokenCall().send(
      new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: start.verifier, client_id: limited.clientId, client_secret: limited.secret }).toString(),
    );
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    const ended = await journalOf(t, 'partner.sign_in_ended');
    expect(ended.at(-1)).toMatchObject({ usager_id: alice, details: expect.objectContaining({ reason: 'client_auth_refused', clientId: limited.clientId }) });
    const useId = (ended.at(-1)!.details as { useId: string }).useId;
    const left = await t.app.get(DataSource).query(`SELECT model FROM oidc_payloads WHERE model <> 'Session' AND payload ->> 'accountId' = $1`, [useId]);
    expect(left).toEqual([]);
  });
});
