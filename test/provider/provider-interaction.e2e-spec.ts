import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import request from 'supertest';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { partnerClient, pathOf, refreshTarget, registerPartner, startAuthorization, startProviderTestApp, uidOf } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT = 'https://partenaire.example/callback';

describe('provider face: the aidant’s interaction (sign-in, nobody to act for, refusals)', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let config: oidc.Configuration;
  let structureId: string;

  beforeAll(async () => {
    t = await startProviderTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }, { clock });
    structureId = (await seedStructure(t, 'Médiathèque de Test', '21700550300016')).id;
    await seedAidant(t, { email: 'aidant@test.example', memberships: [{ structureId, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'referente@test.example', memberships: [{ structureId, roles: ['referent'] }] });
    const { partner, secret } = await registerPartner(t, { redirectUris: [REDIRECT] });
    config = await partnerClient(t.url, partner.clientId, secret!);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function beginAt(agent: ReturnType<typeof browser>) {
    const start = await startAuthorization(config, REDIRECT);
    const res = await agent.get(pathOf(start.url)).expect(303);
    return { start, uid: uidOf(res.headers.location!) };
  }

  async function signInThere(agent: ReturnType<typeof browser>, uid: string, email: string, password = TEST_PASSWORD) {
    const page = await agent.get(`/partenaires/connexion/${uid}`).expect(200);
    expect(page.text).toContain('Connexion avec Procuration');
    expect(page.text).toContain('Service de test');
    clock.advance(30_000); // a new TOTP step: a code is accepted once
    const res = await agent
      .post(`/partenaires/connexion/${uid}/identification`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), email, password, totp: totpAt(clock) });
    return res;
  }

  it('asks an aidant without a session to sign in, then says nobody qualifies and goes back with access_denied', async () => {
    const agent = browser(t);
    const { start, uid } = await beginAt(agent);
    const signedIn = await signInThere(agent, uid, 'aidant@test.example');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe(`/partenaires/connexion/${uid}/usager`);
    const none = await agent.get(`/partenaires/connexion/${uid}/usager`).expect(200);
    expect(none.text).toContain('Aucun usager possible');
    expect(none.text).toContain('Logement');
    const back = await agent
      .post(`/partenaires/connexion/${uid}/abandon`)
      .type('form')
      .send({ _csrf: csrfOf(none.text), motif: 'aucun_usager' })
      .expect(200);
    const resume = await agent.get(refreshTarget(back)).expect(303);
    const answer = new URL(resume.headers.location!);
    expect(`${answer.origin}${answer.pathname}`).toBe(REDIRECT);
    expect(answer.searchParams.get('error')).toBe('access_denied');
    expect(answer.searchParams.get('state')).toBe(start.state);
    const refused = await journalOf(t, 'partner.access_refused');
    expect(refused.at(-1)?.details).toMatchObject({ reason: 'no_live_mandate' });
  });

  it('reuses the aidant’s session for the next partner request (no second sign-in)', async () => {
    const agent = browser(t);
    const first = await beginAt(agent);
    expect((await signInThere(agent, first.uid, 'aidant@test.example')).status).toBe(303);
    const second = await beginAt(agent);
    const page = await agent.get(`/partenaires/connexion/${second.uid}`).expect(303);
    expect(page.headers.location).toBe(`/partenaires/connexion/${second.uid}/usager`);
  });

  it('asks for a fresh TOTP code when the last one is older than 15 minutes', async () => {
    const agent = browser(t);
    const { uid } = await beginAt(agent);
    expect((await signInThere(agent, uid, 'aidant@test.example')).status).toBe(303);
    clock.advance(16 * 60_000);
    await agent.get('/aidant').expect(200); // keeps the session alive (idle 30 min)
    const res = await agent.get(`/partenaires/connexion/${uid}/usager`).expect(303);
    expect(res.headers.location).toBe(`/aidant/reauthentification?suite=${encodeURIComponent(`/partenaires/connexion/${uid}/usager`)}`);
  });

  it('a référent without the aidant role may not act for anyone', async () => {
    const agent = browser(t);
    const { uid } = await beginAt(agent);
    expect((await signInThere(agent, uid, 'referente@test.example')).status).toBe(303);
    const page = await agent.get(`/partenaires/connexion/${uid}/usager`).expect(200);
    expect(page.text).toContain('rôle « aidant » nécessaire');
  });

  it('a wrong password re-renders the interaction’s sign-in form', async () => {
    const agent = browser(t);
    const { uid } = await beginAt(agent);
    const res = await signInThere(agent, uid, 'aidant@test.example', 'not-the-password');
    expect(res.status).toBe(401);
    expect(res.text).toContain('Connexion avec Procuration');
    expect(res.text).toContain(`/partenaires/connexion/${uid}/identification`);
  });

  it('an expired aidant session mid-interaction leads back to the sign-in step', async () => {
    const agent = browser(t);
    const { uid } = await beginAt(agent);
    expect((await signInThere(agent, uid, 'aidant@test.example')).status).toBe(303);
    clock.advance(31 * 60_000);
    const res = await agent.get(`/partenaires/connexion/${uid}/usager`).expect(303);
    expect(res.headers.location).toBe(`/partenaires/connexion/${uid}?expiree=1`);
    const page = await agent.get(res.headers.location!).expect(200);
    expect(page.text).toContain('Votre session a expiré');
  });

  it('the interaction pages refuse POSTs without the CSRF token', async () => {
    const agent = browser(t);
    const { uid } = await beginAt(agent);
    expect((await signInThere(agent, uid, 'aidant@test.example')).status).toBe(303);
    const res = await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ usager: 'x', demarche: 'logement' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('Formulaire expiré');
  });

  it('the interaction expires after 10 minutes', async () => {
    const agent = browser(t);
    const { uid } = await beginAt(agent);
    await new Promise((r) => setTimeout(r, 10));
    await t.app.get((await import('typeorm')).DataSource).query(
      `UPDATE oidc_payloads SET expires_at = now() - interval '1 second' WHERE model = 'Interaction' AND id = $1`,
      [uid],
    );
    const res = await agent.get(`/partenaires/connexion/${uid}`).expect(400);
    expect(res.text).toContain('Connexion expirée');
    expect(request).toBeDefined();
  });
});
