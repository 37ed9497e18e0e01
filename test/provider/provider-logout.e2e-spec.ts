import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import request from 'supertest';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { openMandate } from '../support/mandates.js';
import { createUsager, partnerClient, pathOf, refreshTarget, registerPartner, startAuthorization, startProviderTestApp, uidOf } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT_C = 'https://deconnexion.example/cb';
const AFTER_LOGOUT = 'https://deconnexion.example/au-revoir';
const REDIRECT_A = 'https://autre.example/cb';
type Agent = ReturnType<typeof browser>;

/** RP-initiated logout says what each button ends, and ends exactly that. */
describe('provider logout: the partner’s session, and Procuration’s only when asked', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let alice: string;
  let aidantId: string;
  let clientC: oidc.Configuration;
  let clientA: oidc.Configuration;

  beforeAll(async () => {
    t = await startProviderTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }, { clock });
    const structure = await seedStructure(t, 'Médiathèque de Test', '21700550300016');
    aidantId = await seedAidant(t, { email: 'aidant@test.example', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    alice = await createUsager(t, { givenName: 'Alice', familyName: 'Durand' });
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement'] });
    const c = await registerPartner(t, { name: 'Service à déconnexion', redirectUris: [REDIRECT_C], postLogoutRedirectUris: [AFTER_LOGOUT] });
    const a = await registerPartner(t, { name: 'Autre service', redirectUris: [REDIRECT_A] });
    clientC = await partnerClient(t.url, c.partner.clientId, c.secret!);
    clientA = await partnerClient(t.url, a.partner.clientId, a.secret!);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function signedInBrowser(): Promise<Agent> {
    const agent = browser(t);
    clock.advance(30_000); // a TOTP code is accepted once
    const page = await agent.get('/aidant/connexion').expect(200);
    await agent
      .post('/aidant/connexion')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: 'aidant@test.example', password: TEST_PASSWORD, totp: totpAt(clock) })
      .expect(303);
    return agent;
  }

  async function signInAt(agent: Agent, client: oidc.Configuration, redirect: string) {
    const start = await startAuthorization(client, redirect);
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    const recap = await agent.get(`/partenaires/connexion/${uid}/confirmation?usager=${alice}&demarche=logement`).expect(200);
    const confirmed = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(recap.text), usager: alice, demarche: 'logement' }).expect(200);
    const callback = new URL((await agent.get(refreshTarget(confirmed)).expect(303)).headers.location!);
    return oidc.authorizationCodeGrant(client, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
  }

  const userinfoStatus = async (token: string) => (await request(t.url).get('/oidc/userinfo').set('Authorization', `Bearer ${token}`)).status;

  /** The partner sends the browser to end_session; returns the page and its two forms. */
  async function logoutPage(agent: Agent, idToken: string) {
    const end = oidc.buildEndSessionUrl(clientC, { id_token_hint: idToken, post_logout_redirect_uri: AFTER_LOGOUT, state: 'etat-1' });
    const page = await agent.get(pathOf(end)).expect(200);
    const forms = [...page.text.matchAll(/<form method="post" action="([^"]+)">\s*<input type="hidden" name="xsrf" value="([^"]+)">/g)].map((m) => ({
      action: m[1]!,
      xsrf: m[2]!,
    }));
    return { page, forms };
  }

  it('says what each choice ends, with a CSP whose form-action allows its own post and the way back', async () => {
    const agent = await signedInBrowser();
    const tokens = await signInAt(agent, clientC, REDIRECT_C);
    const { page, forms } = await logoutPage(agent, tokens.id_token!);
    expect(page.text).toContain('Terminer la connexion de Service à déconnexion avec Procuration');
    expect(page.text).toContain('Vous restez connecté à Procuration');
    expect(page.text).toContain('Me déconnecter aussi de Procuration');
    expect(page.text).not.toContain('Rester connecté');
    expect(forms).toHaveLength(2);
    const csp = String(page.headers['content-security-policy']);
    const formAction = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('form-action'));
    expect(formAction).toBe("form-action 'self' https://deconnexion.example");
  });

  it('the first choice ends the partner’s sign-in only: the aidant stays signed in, other partners keep their tokens', async () => {
    const agent = await signedInBrowser();
    const atC = await signInAt(agent, clientC, REDIRECT_C);
    const atA = await signInAt(agent, clientA, REDIRECT_A);
    const { forms } = await logoutPage(agent, atC.id_token!);
    const partnerOnly = forms.find((f) => pathOf(f.action) === '/oidc/session/end/confirm')!;
    const done = await agent.post(pathOf(partnerOnly.action)).type('form').send({ xsrf: partnerOnly.xsrf, logout: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`${AFTER_LOGOUT}?state=etat-1`);
    expect(await userinfoStatus(atC.access_token)).toBe(401);
    expect(await userinfoStatus(atA.access_token)).toBe(200);
    const home = await agent.get('/aidant');
    expect(home.status).toBe(200);
    const ended = await journalOf(t, 'partner.sign_in_ended');
    expect(ended.at(-1)).toMatchObject({ usager_id: alice, actor_type: 'partner', details: expect.objectContaining({ reason: 'partner_logout' }) });
  });

  it('the second choice also signs the aidant out of Procuration and ends their partner tokens', async () => {
    const agent = await signedInBrowser();
    const atC = await signInAt(agent, clientC, REDIRECT_C);
    const atA = await signInAt(agent, clientA, REDIRECT_A);
    const signedOutBefore = (await journalOf(t, 'aidant.signed_out')).length;
    const { forms } = await logoutPage(agent, atC.id_token!);
    const withProcuration = forms.find((f) => f.action === '/partenaires/deconnexion')!;
    const first = await agent.post(withProcuration.action).type('form').send({ xsrf: withProcuration.xsrf, logout: 'yes' });
    expect(first.status).toBe(307);
    expect(first.headers.location).toBe('/oidc/session/end/confirm');
    const done = await agent.post(first.headers.location!).type('form').send({ xsrf: withProcuration.xsrf, logout: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`${AFTER_LOGOUT}?state=etat-1`);
    expect(await userinfoStatus(atC.access_token)).toBe(401);
    expect(await userinfoStatus(atA.access_token)).toBe(401);
    expect((await agent.get('/aidant')).status).toBe(401);
    expect(await journalOf(t, 'aidant.signed_out')).toHaveLength(signedOutBefore + 1);
    const ended = (await journalOf(t, 'partner.sign_in_ended')).slice(-2);
    expect(ended).toEqual([
      expect.objectContaining({ actor_type: 'aidant', actor_id: aidantId, details: expect.objectContaining({ reason: 'aidant_signed_out' }) }),
      expect.objectContaining({ actor_type: 'aidant', actor_id: aidantId, details: expect.objectContaining({ reason: 'aidant_signed_out' }) }),
    ]);
  });

  it('a forged post to the Procuration sign-out (wrong xsrf) signs nobody out', async () => {
    const agent = await signedInBrowser();
    const atC = await signInAt(agent, clientC, REDIRECT_C);
    await logoutPage(agent, atC.id_token!);
    const res = await agent.post('/partenaires/deconnexion').type('form').send({ xsrf: 'faux', logout: 'yes' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Déconnexion expirée');
    expect((await agent.get('/aidant')).status).toBe(200);
    expect(await userinfoStatus(atC.access_token)).toBe(200);
  });

  it('without a partner named, the page still says what it does, and its form-action is our own origin only', async () => {
    const page = await browser(t).get('/oidc/session/end').expect(200);
    expect(page.text).toContain('Un service partenaire demande de terminer sa connexion avec Procuration');
    expect(page.text).not.toMatch(/<script>|onload=/); // no self-submitting form of the library's
    const csp = String(page.headers['content-security-policy']);
    expect(csp.split(';').map((d) => d.trim())).toContain("form-action 'self'");
  });
});
