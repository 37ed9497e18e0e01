import { birthplaceName, frenchCalendarDate } from '../../src/web/french/index.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { SIMULATED_IDENTITIES } from '../../src/fc-simulator/simulator-identities.js';
import { hashFcSub } from '../../src/franceconnect/fc-sub.js';
import { clickButton, formsOf } from '../franceconnect/support/browser.js';
import { browser as aidantBrowser, journalOf, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { countUsagers, signInAsUsager, submitForm, usagerBrowser } from '../support/usagers.js';

const PEOPLE = SIMULATED_IDENTITIES.filter((identity) => identity.scenario === undefined);

/** The usager's space over real HTTP: the app and its FranceConnect simulator, a cookie-jar browser. */
describe('usager space (/usager) with FranceConnect', () => {
  let t: TestApp;
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
  });

  afterAll(async () => {
    await t.close();
  });

  it('shows the FranceConnect button to a browser without session', async () => {
    const page = await usagerBrowser().get(`${t.url}/usager`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('class="fr-connect"');
    expect(page.html).toContain('S’identifier avec');
    expect(formsOf(page).map((form) => new URL(form.action).pathname)).toContain('/usager/connexion');
  });

  it('allows the posts that lead to FranceConnect in the CSP form-action', async () => {
    const page = await usagerBrowser().get(`${t.url}/usager`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`form-action 'self' ${new URL(t.config.franceConnect.issuer!).origin}`);
  });

  it.each(PEOPLE.map((person) => [person.id, person] as const))('%s signs in and sees their space', async (_id, person) => {
    const browser = usagerBrowser();
    const before = await countUsagers(t);
    const page = await signInAsUsager(t, browser, person.id);
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toBe('/usager');
    expect(page.html).toContain('Mes mandats');
    expect(page.html).toContain('Vous n’avez donné aucun mandat pour le moment.');
    expect(page.html).toContain('href="/usager/journal"');
    expect(page.html).toContain(escapeHtml(person.claims.given_name!));
    expect(page.html).toContain(escapeHtml(person.claims.family_name!));
    // Birth date and place as a French reader writes them, never the ISO date or a bare INSEE code.
    expect(page.html).toContain(`Date de naissance : ${frenchCalendarDate(person.claims.birthdate!)}`);
    expect(page.html).not.toContain(person.claims.birthdate!);
    const place = birthplaceName(person.claims.birthplace ?? '', person.claims.birthcountry ?? '');
    if (place) expect(page.html).toContain(`Lieu de naissance : ${escapeHtml(place)}`);
    expect(await countUsagers(t)).toBe(before + 1);

    // A second sign-in finds the same person (keyed by the hash of the pairwise sub).
    await signInAsUsager(t, usagerBrowser(), person.id);
    expect(await countUsagers(t)).toBe(before + 1);
  });

  it('stores only the keyed hash of the sub, and the identity as FranceConnect sent it', async () => {
    await signInAsUsager(t, usagerBrowser(), 'angela');
    const rows: Record<string, unknown>[] = await t.app
      .get(DataSource)
      .query(`SELECT * FROM usagers WHERE given_name = 'Angela Claire Louise'`);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      family_name: 'DUBOIS',
      preferred_username: 'MARTIN',
      gender: 'female',
      birthplace: '75107',
      birthcountry: '99100',
      email: 'angela.dubois@example.fr',
    });
    expect(row.fc_sub_hash).toMatch(/^[0-9a-f]{64}$/);
    const serialised = JSON.stringify(row);
    expect(serialised).not.toMatch(/[0-9a-f]{64}v1/);
    const sessions: { data: unknown }[] = await t.app.get(DataSource).query(`SELECT data FROM http_sessions`);
    expect(JSON.stringify(sessions)).not.toMatch(/"sub"/);
    expect(row.fc_sub_hash).not.toBe(hashFcSub(t.config.franceConnect.subKey, 'angela'));
  });

  it('journals the round trip and the sign-in in the national chain', async () => {
    const page = await signInAsUsager(t, usagerBrowser(), 'paul');
    expect(page.status).toBe(200);
    const [started] = (await journalOf(t, 'franceconnect.consent_started')).slice(-1);
    const [verified] = (await journalOf(t, 'franceconnect.consent_verified')).slice(-1);
    const [signedIn] = (await journalOf(t, 'usager.signed_in')).slice(-1);
    expect(started).toMatchObject({ chain: 'national', actor_type: 'usager', actor_id: null, details: { intent: 'usager_sign_in' } });
    expect(verified).toMatchObject({
      chain: 'national',
      details: { intent: 'usager_sign_in', transactionId: started!.details.transactionId, acr: 'eidas1' },
    });
    expect(verified!.details.idTokenHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signedIn).toMatchObject({ chain: 'national', actor_type: 'usager', details: { method: 'franceconnect', acr: 'eidas1' } });
    expect(signedIn!.actor_id).toBe((signedIn as unknown as { usager_id: string }).usager_id);
    // Never a token in the journal.
    const all = await journalOf(t, 'franceconnect.consent_started', 'franceconnect.consent_verified', 'usager.signed_in');
    expect(JSON.stringify(all)).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
  });

  it('signs out of Procuration and of FranceConnect (end session with id_token_hint, state, post-logout URI)', async () => {
    const browser = usagerBrowser();
    const space = await signInAsUsager(t, browser, 'lucia');
    const simulatorBase = new URL(t.config.franceConnect.issuer!).origin;
    expect(browser.cookieNames(`${simulatorBase}/api/v2/session/end`)).toContain('_session');

    const logout = await submitForm(browser, space, '/usager/deconnexion');
    const logoutUrl = new URL(logout.url);
    expect(logoutUrl.origin).toBe(simulatorBase);
    expect(logoutUrl.pathname).toBe('/api/v2/session/end');
    expect(logoutUrl.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(logoutUrl.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(logoutUrl.searchParams.get('post_logout_redirect_uri')).toBe(`${t.url}/franceconnect/deconnexion`);

    const done = await clickButton(browser, logout, 'logout', 'yes');
    expect(done.status).toBe(200);
    expect(new URL(done.url).pathname).toBe('/usager/deconnexion');
    expect(done.html).toContain('Vous êtes déconnecté');
    expect(browser.cookieNames(`${simulatorBase}/api/v2/session/end`)).not.toContain('_session');

    const after = await browser.get(`${t.url}/usager`);
    expect(after.html).toContain('class="fr-connect"');
    const [signedOut] = (await journalOf(t, 'usager.signed_out')).slice(-1);
    expect(signedOut).toMatchObject({ chain: 'national', actor_type: 'usager', details: { reason: 'user' } });
  });

  it('ends the usager session after 30 minutes without activity', async () => {
    const browser = usagerBrowser();
    await signInAsUsager(t, browser, 'jeanne');
    clock.advance(29 * 60 * 1000);
    expect((await browser.get(`${t.url}/usager`)).html).toContain('Mes mandats');
    clock.advance(31 * 60 * 1000);
    const page = await browser.get(`${t.url}/usager`);
    expect(page.html).toContain('30 minutes d’inactivité');
    expect(page.html).toContain('class="fr-connect"');
    const [ended] = (await journalOf(t, 'usager.signed_out')).slice(-1);
    expect(ended).toMatchObject({ chain: 'national', actor_type: 'system', details: { reason: 'idle_timeout' } });
  });

  it('refuses sign-out without a usager session', async () => {
    const browser = usagerBrowser();
    const home = await browser.get(`${t.url}/usager`);
    const csrf = formsOf(home)[0]!.hidden._csrf!;
    const page = await browser.post(`${t.url}/usager/deconnexion`, { _csrf: csrf });
    expect(page.status).toBe(401);
  });

  describe('one kind of session per browser', () => {
    it('an aidant session cannot open /usager nor start a usager sign-in', async () => {
      const structure = await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016');
      await seedAidant(t, { email: 'camille@lure.test', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
      const agent = aidantBrowser(t);
      expect((await signIn(agent, clock, 'camille@lure.test')).status).toBe(303);
      expect((await agent.get('/aidant')).status).toBe(200);
      const home = await agent.get('/usager').set('accept', 'text/html');
      expect(home.status).toBe(403);
      expect(home.text).toContain('Espace réservé aux personnes accompagnées');
      const aidantPage = await agent.get('/aidant');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(aidantPage.text)![1]!;
      const start = await agent.post('/usager/connexion').type('form').send({ _csrf: csrf });
      expect(start.status).toBe(403);
    });

    it('a usager session cannot open aidant pages', async () => {
      const browser = usagerBrowser();
      await signInAsUsager(t, browser, 'mamadou');
      for (const path of ['/aidant', '/aidant/structure', '/structure/aidants']) {
        const page = await browser.get(`${t.url}${path}`);
        expect([401, 403]).toContain(page.status);
        expect(page.html).not.toContain('Mamadou');
      }
      expect((await browser.get(`${t.url}/usager`)).html).toContain('Mes mandats');
    });
  });
});

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
