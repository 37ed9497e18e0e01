import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/clock.js';
import { journalOf } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { countUsagers, FOLLOW_ALL, pickIdentity, startUsagerSignIn, usagerBrowser } from '../support/usagers.js';

/**
 * Faults at GET /franceconnect/callback, end to end against the simulator:
 * a French page, the status, nothing created, the journal entry.
 */
describe('FranceConnect callback faults (simulator)', () => {
  let t: TestApp;
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
  });

  afterAll(async () => {
    await t.close();
  });

  const callbackPrefix = () => `${t.url}/franceconnect/callback`;

  /** Goes through the simulator with `identity` and stops at the callback address (not fetched). */
  async function callbackUrlFor(identity: string) {
    const browser = usagerBrowser(callbackPrefix());
    const stopped = await pickIdentity(browser, await startUsagerSignIn(t, browser), identity);
    expect(stopped.stopped).toBe(true);
    browser.stopAt = FOLLOW_ALL;
    return { browser, url: stopped.url };
  }

  async function lastFailure() {
    return (await journalOf(t, 'franceconnect.failed')).at(-1)!;
  }

  it.each([
    ['refus', 403, 'Connexion FranceConnect annulée', { reason: 'access_denied', error: 'access_denied', intent: 'usager_sign_in' }],
    ['panne', 503, 'FranceConnect indisponible', { reason: 'unavailable', intent: 'usager_sign_in' }],
    ['malforme', 502, 'Identité FranceConnect incomplète', { reason: 'claims_invalid', intent: 'usager_sign_in' }],
  ])('scenario %s: status %i, a French page, nothing created, journaled', async (identity, status, title, details) => {
    const before = await countUsagers(t);
    const { browser, url } = await callbackUrlFor(identity);
    const page = await browser.get(url);
    expect(page.status).toBe(status);
    expect(page.html).toContain(title);
    expect(page.html).toContain('enregistré');
    // The person can start again from where the round trip began (counter-ready, item 8).
    expect(page.html).toContain('<a class="fr-btn" href="/usager">Recommencer</a>');
    expect(await countUsagers(t)).toBe(before);
    const failure = await lastFailure();
    expect(failure).toMatchObject({ chain: 'national', details });
    expect(JSON.stringify(failure.details)).not.toMatch(/eyJ|code=/);
    // Still not signed in.
    expect((await browser.get(`${t.url}/usager`)).html).toContain('class="fr-connect"');
  });

  it('names the malformed claims in the journal, never their values', async () => {
    const { browser, url } = await callbackUrlFor('malforme');
    await browser.get(url);
    const failure = await lastFailure();
    expect(failure.details.claims).toEqual(expect.arrayContaining(['birthdate', 'gender']));
    expect(JSON.stringify(failure.details)).not.toContain('02-30');
  });

  it.each([
    ['an unknown state', `?code=abc&state=${'x'.repeat(43)}`],
    ['no state', '?code=abc'],
    ['an empty state', '?code=abc&state='],
    ['an overlong state', `?code=abc&state=${'y'.repeat(5000)}`],
  ])('refuses %s (400, state_unknown)', async (_what, query) => {
    const before = await countUsagers(t);
    const page = await usagerBrowser().get(`${callbackPrefix()}${query}`);
    expect(page.status).toBe(400);
    expect(page.html).toContain('Retour de FranceConnect inattendu');
    expect(await countUsagers(t)).toBe(before);
    expect(await lastFailure()).toMatchObject({ chain: 'national', details: { reason: 'state_unknown', intent: null, transactionId: null } });
  });

  it('refuses a state from another browser session, and leaves it to its owner', async () => {
    const before = await countUsagers(t);
    const { browser, url } = await callbackUrlFor('angela');
    const stranger = await usagerBrowser().get(url);
    expect(stranger.status).toBe(400);
    expect(stranger.html).toContain('Retour de FranceConnect inattendu');
    expect(await lastFailure()).toMatchObject({ details: { reason: 'state_other_session' } });
    expect(await countUsagers(t)).toBe(before);

    const owner = await browser.get(url);
    expect(owner.status).toBe(200);
    expect(owner.html).toContain('Mes mandats');
    expect(await countUsagers(t)).toBe(before + 1);
  });

  it('refuses a callback replayed after success, in the same browser or another', async () => {
    const { browser, url } = await callbackUrlFor('eric');
    expect((await browser.get(url)).html).toContain('Mes mandats');
    const count = await countUsagers(t);
    for (const replay of [browser, usagerBrowser()]) {
      const page = await replay.get(url);
      expect(page.status).toBe(400);
      expect(page.html).toContain('Retour de FranceConnect inattendu');
      expect(await lastFailure()).toMatchObject({ details: { reason: 'state_used', intent: 'usager_sign_in' } });
    }
    expect(await countUsagers(t)).toBe(count);
    const transactionId = (await lastFailure()).details.transactionId;
    const verified = await journalOf(t, 'franceconnect.consent_verified');
    expect(verified.filter((entry) => entry.details.transactionId === transactionId)).toHaveLength(1);
  });

  it('refuses a transaction older than 10 minutes', async () => {
    const before = await countUsagers(t);
    const { browser, url } = await callbackUrlFor('paul');
    clock.advance(10 * 60 * 1000 + 1000);
    const page = await browser.get(url);
    expect(page.status).toBe(400);
    expect(page.html).toContain('Connexion FranceConnect expirée');
    expect(await countUsagers(t)).toBe(before);
    expect(await lastFailure()).toMatchObject({ details: { reason: 'state_expired', intent: 'usager_sign_in' } });
  });

  it('answers the post-logout address without a pending logout with a plain page', async () => {
    const page = await usagerBrowser().get(`${t.url}/franceconnect/deconnexion?state=${'z'.repeat(43)}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Vous êtes déconnecté de FranceConnect');
  });
});
