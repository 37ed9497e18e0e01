import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import superagent from 'superagent';
import { ManualClock } from '../../src/clock/clock.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { csrfOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { openMandate } from '../support/mandates.js';
import { createSharedTestDatabase, createUsager, partnerClient, refreshTarget, registerPartner, startAuthorization, startProviderTestApp, uidOf } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';
import type { TestDatabase } from '../support/test-database.js';

const REDIRECT = 'https://partenaire.example/callback';

/**
 * Two instances of the service on one database, behind one issuer (as behind
 * a load balancer): every step of a flow may land on either. Each answers
 * only to the issuer's host: requests routed to B carry it in
 * X-Forwarded-Host, as the load balancer would (both trust it).
 */
describe('provider face: two instances serve one flow', () => {
  const clock = new ManualClock(new Date());
  let a: TestApp;
  let b: TestApp;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSharedTestDatabase();
    const env = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DATABASE_POOL_SIZE: '1', JOURNAL_SEAL_INTERVAL_MS: '900', TRUST_PROXY: 'true' };
    a = await startProviderTestApp(env, { clock, database });
    b = await startProviderTestApp(env, { clock, database, issuer: a.url });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
  });

  /**
   * The embedded database (PGlite) serves its connections one message at a
   * time: two instances' background journal sealing racing a request can
   * interleave protocol messages. Letting both sealers finish between steps
   * keeps the test about the flow (PostgreSQL needs none of this).
   */
  const settle = async () => {
    await a.app.get(JournalService).flush();
    await b.app.get(JournalService).flush();
  };

  it('authorize on A, interaction on B, resume on A, token on B, userinfo on A, introspection on B', async () => {
    const structureId = (await seedStructure(a, 'Médiathèque de Test', '21700550300016')).id;
    const aidantId = await seedAidant(a, { email: 'aidant@test.example', memberships: [{ structureId, roles: ['aidant'] }] });
    const usager = await createUsager(a, { givenName: 'Alice', familyName: 'Durand' });
    const mandate = await openMandate(a, { aidantId, structureId, usagerId: usager, demarches: ['logement'] });
    const { partner, secret } = await registerPartner(a, { redirectUris: [REDIRECT] });

    // The partner knows one issuer (A's URL); its token and introspection calls are routed to B.
    const issuerHost = new URL(a.url).host;
    const toB: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      if (!url.pathname.startsWith('/oidc/token')) return fetch(url, init);
      url.port = new URL(b.url).port;
      const headers = new Headers(init?.headers);
      headers.set('X-Forwarded-Host', issuerHost);
      return fetch(url, { ...init, headers });
    };
    const client = await partnerClient(a.url, partner.clientId, secret!, { fetch: toB });

    const browser = superagent.agent().redirects(0).ok(() => true);
    const onB = <T extends { set(field: string, value: string): T }>(req: T): T => req.set('X-Forwarded-Host', issuerHost);
    const start = await startAuthorization(client, REDIRECT);
    const authorized = await browser.get(start.url.href);
    await settle();
    expect(authorized.status).toBe(303);
    const uid = uidOf(authorized.headers.location!);

    const signInPage = await onB(browser.get(`${b.url}/partenaires/connexion/${uid}`));
    await settle();
    expect(signInPage.status).toBe(200);
    const signedIn = await onB(browser.post(`${b.url}/partenaires/connexion/${uid}/identification`))
      .type('form')
      .send({ _csrf: csrfOf(signInPage.text), email: 'aidant@test.example', password: TEST_PASSWORD, totp: totpAt(clock) });
    await settle();
    expect(signedIn.status).toBe(303);
    const recap = await browser.get(`${a.url}/partenaires/connexion/${uid}/confirmation?usager=${usager}&demarche=logement`);
    await settle();
    expect(recap.status).toBe(200);
    const confirmed = await onB(browser.post(`${b.url}/partenaires/connexion/${uid}/confirmation`))
      .type('form')
      .send({ _csrf: csrfOf(recap.text), usager, demarche: 'logement' });
    await settle();
    expect(confirmed.status).toBe(200);
    const resumed = await browser.get(`${a.url}${refreshTarget(confirmed)}`);
    await settle();
    expect(resumed.status).toBe(303);
    const callback = new URL(resumed.headers.location!);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);

    const tokens = await oidc.authorizationCodeGrant(client, callback, {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
      expectedNonce: start.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(a.url);
    expect(claims.mandate).toBe(mandate.id);
    await settle();
    const userinfo = await oidc.fetchUserInfo(client, tokens.access_token, claims.sub);
    expect(userinfo.given_name).toBe('Alice');
    await settle();
    const introspection = await oidc.tokenIntrospection(client, tokens.access_token);
    expect(introspection.active).toBe(true);
    expect(introspection.sub).toBe(claims.sub);
  });
});
