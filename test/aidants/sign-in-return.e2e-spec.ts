import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, freshIp, seedAidant, seedStructure, TEST_PASSWORD, totpAt } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The référent's door (counter-ready, item 1): a page of the aidants' side
 * asked for without a session answers 401 with a way to sign in, and the
 * sign-in comes back to that page, never to another site.
 */
describe('signing in from a page that asked for it', () => {
  const clock = new ManualClock(new Date('2026-12-03T09:00:10Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    const vesoul = await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016');
    const lure = await seedStructure(t, 'France Services de Gray', '21700294000013');
    await seedAidant(t, { email: 'referente@vesoul.test', memberships: [{ structureId: vesoul.id, roles: ['aidant', 'referent'] }] });
    await seedAidant(t, { email: 'referente-seule@vesoul.test', memberships: [{ structureId: vesoul.id, roles: ['referent'] }] });
    await seedAidant(t, {
      email: 'referente-ailleurs@vesoul.test',
      memberships: [
        { structureId: vesoul.id, roles: ['aidant'] },
        { structureId: lure.id, roles: ['referent'] },
      ],
    });
    await seedAidant(t, {
      email: 'double@vesoul.test',
      memberships: [
        { structureId: vesoul.id, roles: ['aidant', 'referent'] },
        { structureId: lure.id, roles: ['aidant'] },
      ],
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Each sign-in uses the next TOTP step (a step is accepted once). */
  function nextCode(): string {
    clock.advance(30_000);
    return totpAt(clock);
  }

  async function signInFrom(agent: ReturnType<typeof browser>, formPath: string, email: string) {
    const form = await agent.get(formPath).expect(200);
    const suite = /name="suite" value="([^"]*)"/.exec(form.text)?.[1];
    return agent
      .post('/aidant/connexion')
      .type('form')
      .set('X-Forwarded-For', freshIp())
      .send({ _csrf: csrfOf(form.text), email, password: TEST_PASSWORD, totp: nextCode(), ...(suite ? { suite } : {}) });
  }

  it('the 401 page of /structure offers the sign-in, which comes back to /structure', async () => {
    const agent = browser(t);
    const refused = await agent.get('/structure').set('Accept', 'text/html').expect(401);
    expect(refused.text).toContain('href="/aidant/connexion?suite=%2Fstructure"');
    expect(refused.text).toContain('Se connecter');
    const signedIn = await signInFrom(agent, '/aidant/connexion?suite=%2Fstructure', 'referente@vesoul.test');
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/structure');
    await agent.get('/structure').expect(200);
  });

  it('keeps the query of the page asked for', async () => {
    const agent = browser(t);
    const refused = await agent.get('/aidant/mandats/nouveau?etape=1').set('Accept', 'text/html').expect(401);
    expect(refused.text).toContain('href="/aidant/connexion?suite=%2Faidant%2Fmandats%2Fnouveau%3Fetape%3D1"');
  });

  it('with two structures, the choice of structure comes first, then the page asked for', async () => {
    const agent = browser(t);
    const signedIn = await signInFrom(agent, '/aidant/connexion?suite=%2Fstructure%2Faidants', 'double@vesoul.test');
    expect(signedIn.headers.location).toBe('/aidant/structure?suite=%2Fstructure%2Faidants');
    const choice = await agent.get(signedIn.headers.location!).expect(200);
    expect(choice.text).toContain('name="suite" value="/structure/aidants"');
    const structureId = /name="structure" value="([^"]+)"/.exec(choice.text)![1]!;
    const chosen = await agent
      .post('/aidant/structure')
      .type('form')
      .send({ _csrf: csrfOf(choice.text), structure: structureId, suite: '/structure/aidants' });
    expect(chosen.status).toBe(303);
    expect(chosen.headers.location).toBe('/structure/aidants');
  });

  it.each(['//evil.example/x', 'https://evil.example/', '/\\evil.example'])('never sends the person elsewhere: suite=%s goes to /aidant', async (suite) => {
    const agent = browser(t);
    const form = await agent.get(`/aidant/connexion?suite=${encodeURIComponent(suite)}`).expect(200);
    expect(form.text).not.toContain('name="suite"');
    const signedIn = await agent
      .post('/aidant/connexion')
      .type('form')
      .set('X-Forwarded-For', freshIp())
      .send({ _csrf: csrfOf(form.text), email: 'referente@vesoul.test', password: TEST_PASSWORD, totp: nextCode(), suite });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/aidant');
  });

  it('a référent who is not an aidant of the structure lands on /structure; someone with both roles on /aidant, with both entries', async () => {
    const referentOnly = browser(t);
    const landed = await signInFrom(referentOnly, '/aidant/connexion', 'referente-seule@vesoul.test');
    expect(landed.headers.location).toBe('/structure');
    await referentOnly.get('/structure').expect(200);

    const both = browser(t);
    const dashboard = await signInFrom(both, '/aidant/connexion', 'referente@vesoul.test');
    expect(dashboard.headers.location).toBe('/aidant');
    const page = await both.get('/aidant').expect(200);
    expect(page.text).toContain('href="/aidant/mandats/nouveau"');
    expect(page.text).toContain('href="/structure"');
  });

  it('after choosing a structure, the landing follows the roles held in that structure', async () => {
    const agent = browser(t);
    const signedIn = await signInFrom(agent, '/aidant/connexion', 'referente-ailleurs@vesoul.test');
    expect(signedIn.headers.location).toBe('/aidant/structure');
    const choice = await agent.get('/aidant/structure').expect(200);
    const grayForm = choice.text.split('<form').find((form) => form.includes('France Services de Gray'))!;
    const gray = /name="structure" value="([^"]+)"/.exec(grayForm)![1]!;
    const chosen = await agent.post('/aidant/structure').type('form').send({ _csrf: csrfOf(choice.text), structure: gray });
    expect(chosen.status).toBe(303);
    expect(chosen.headers.location).toBe('/structure');
  });
});
