import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { openMandate } from '../support/mandates.js';
import { createUsager, partnerClient, pathOf, refreshTarget, registerPartner, startAuthorization, startProviderTestApp, uidOf } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT_A = 'https://logement.example/callback';
const REDIRECT_B = 'https://social.example/callback';
type Agent = ReturnType<typeof browser>;

/**
 * A partner's grant belongs to one sign-in: a later sign-in in the same
 * browser (same or other partner, same or other usager) leaves it alone.
 */
describe('provider grants: each partner sign-in lives on its own', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let alice: string;
  let bruno: string;
  let clientA: oidc.Configuration;
  let clientB: oidc.Configuration;
  let agent: Agent;

  beforeAll(async () => {
    t = await startProviderTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }, { clock });
    const structure = await seedStructure(t, 'Médiathèque de Test', '21700550300016');
    const aidantId = await seedAidant(t, { email: 'aidant@test.example', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    alice = await createUsager(t, { givenName: 'Alice', familyName: 'Durand' });
    bruno = await createUsager(t, { givenName: 'Bruno', familyName: 'Petit' });
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement', 'social'] });
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: bruno, demarches: ['logement'] });
    const a = await registerPartner(t, { name: 'Service logement', redirectUris: [REDIRECT_A], demarches: ['logement'] });
    const b = await registerPartner(t, { name: 'Service social', redirectUris: [REDIRECT_B], demarches: ['logement', 'social'] });
    clientA = await partnerClient(t.url, a.partner.clientId, a.secret!);
    clientB = await partnerClient(t.url, b.partner.clientId, b.secret!);
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

  /** Up to the confirmation POST; returns the "continue" response and the partner's start. */
  async function confirmAt(client: oidc.Configuration, redirect: string, usager: string, demarche: string) {
    const start = await startAuthorization(client, redirect);
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    const recap = await agent.get(`/partenaires/connexion/${uid}/confirmation?usager=${usager}&demarche=${demarche}`).expect(200);
    const confirmed = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(recap.text), usager, demarche }).expect(200);
    return { start, confirmed };
  }

  async function back(step: Awaited<ReturnType<typeof confirmAt>>, redirect: string) {
    const res = await agent.get(refreshTarget(step.confirmed));
    expect(res.status).toBe(303);
    const callback = new URL(res.headers.location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirect);
    return { start: step.start, callback };
  }

  function exchange(client: oidc.Configuration, s: { callback: URL; start: { verifier: string; state: string; nonce: string } }) {
    return oidc.authorizationCodeGrant(client, s.callback, {
      pkceCodeVerifier: s.start.verifier,
      expectedState: s.start.state,
      expectedNonce: s.start.nonce,
    });
  }

  const userinfoStatus = async (token: string) => (await request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${token}`)).status;

  it('a sign-in at partner B leaves partner A’s tokens and unexchanged code working', async () => {
    const first = await exchange(clientA, await back(await confirmAt(clientA, REDIRECT_A, alice, 'logement'), REDIRECT_A));
    expect(await userinfoStatus(first.access_token)).toBe(200);
    // A second sign-in at A whose code is not exchanged yet.
    const pending = await back(await confirmAt(clientA, REDIRECT_A, bruno, 'logement'), REDIRECT_A);
    // Then B, for another usager, in the same browser.
    const atB = await exchange(clientB, await back(await confirmAt(clientB, REDIRECT_B, alice, 'social'), REDIRECT_B));

    expect(await userinfoStatus(first.access_token)).toBe(200);
    expect((await oidc.tokenIntrospection(clientA, first.access_token)).active).toBe(true);
    const late = await exchange(clientA, pending);
    expect(await userinfoStatus(late.access_token)).toBe(200);
    expect(await userinfoStatus(atB.access_token)).toBe(200);
  });

  it('a later sign-in at the same partner for the same usager leaves the earlier tokens working', async () => {
    const first = await exchange(clientA, await back(await confirmAt(clientA, REDIRECT_A, alice, 'logement'), REDIRECT_A));
    const second = await exchange(clientA, await back(await confirmAt(clientA, REDIRECT_A, alice, 'logement'), REDIRECT_A));
    expect(await userinfoStatus(first.access_token)).toBe(200);
    expect(await userinfoStatus(second.access_token)).toBe(200);
  });

  it('two tabs signing in at once both get working tokens', async () => {
    // Both authorization requests start before either is confirmed (two tabs, one browser).
    const [one, two] = await Promise.all([
      confirmAt(clientA, REDIRECT_A, alice, 'logement'),
      confirmAt(clientB, REDIRECT_B, bruno, 'logement'),
    ]);
    // Each tab then follows its own way back to its partner.
    const backOne = await back(one, REDIRECT_A);
    const backTwo = await back(two, REDIRECT_B);
    const [tokensOne, tokensTwo] = await Promise.all([exchange(clientA, backOne), exchange(clientB, backTwo)]);
    expect(await userinfoStatus(tokensOne.access_token)).toBe(200);
    expect(await userinfoStatus(tokensTwo.access_token)).toBe(200);
  });

  it('the partner’s own token revocation ends that sign-in only', async () => {
    const first = await exchange(clientA, await back(await confirmAt(clientA, REDIRECT_A, alice, 'logement'), REDIRECT_A));
    const second = await exchange(clientA, await back(await confirmAt(clientA, REDIRECT_A, bruno, 'logement'), REDIRECT_A));
    await oidc.tokenRevocation(clientA, first.access_token);
    expect(await userinfoStatus(first.access_token)).toBe(401);
    expect(await userinfoStatus(second.access_token)).toBe(200);
  });

  it('signing out of Procuration ends the aidant’s partner sign-ins, and a later sign-in works again', async () => {
    const atA = await exchange(clientA, await back(await confirmAt(clientA, REDIRECT_A, alice, 'logement'), REDIRECT_A));
    const atB = await exchange(clientB, await back(await confirmAt(clientB, REDIRECT_B, alice, 'social'), REDIRECT_B));
    const home = await agent.get('/aidant').expect(200);
    await agent.post('/aidant/deconnexion').type('form').send({ _csrf: csrfOf(home.text) }).expect(200);
    expect(await userinfoStatus(atA.access_token)).toBe(401);
    expect(await userinfoStatus(atB.access_token)).toBe(401);
    expect((await oidc.tokenIntrospection(clientA, atA.access_token)).active).toBe(false);

    clock.advance(30_000);
    const page = await agent.get('/aidant/connexion').expect(200);
    await agent
      .post('/aidant/connexion')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: 'aidant@test.example', password: TEST_PASSWORD, totp: totpAt(clock) })
      .expect(303);
    const again = await exchange(clientA, await back(await confirmAt(clientA, REDIRECT_A, alice, 'logement'), REDIRECT_A));
    expect(await userinfoStatus(again.access_token)).toBe(200);
  });
});
