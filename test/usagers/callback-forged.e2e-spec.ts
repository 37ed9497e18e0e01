import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { journalOf } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { countUsagers, startUsagerSignIn, usagerBrowser, FOLLOW_ALL } from '../support/usagers.js';
import { TEST_CLIENT } from '../franceconnect/support/fc-fixtures.js';
import { startForgingProvider, type Forgery, type ForgingProvider } from '../franceconnect/support/forging-provider.js';

const now = () => Math.floor(Date.now() / 1000);

/**
 * The callback route against responses no honest FranceConnect sends (a
 * small provider on loopback signs whatever the test asks): each gives a
 * French page, creates nothing, and is journaled with its reason class.
 */
describe('FranceConnect callback with forged responses', () => {
  let provider: ForgingProvider;
  let t: TestApp;

  beforeAll(async () => {
    provider = await startForgingProvider(TEST_CLIENT);
    t = await startTestApp({ FC_ISSUER: provider.issuer, FC_CLIENT_ID: TEST_CLIENT.clientId, FC_CLIENT_SECRET: TEST_CLIENT.clientSecret });
  });

  afterAll(async () => {
    await t.close();
    await provider.close();
  });

  /** Starts a sign-in at /usager, then comes back to the callback as the forged provider would send the browser. */
  async function roundTrip(forgery: Forgery) {
    provider.forge(forgery);
    const browser = usagerBrowser(`${provider.issuer}/authorize`);
    const stopped = await startUsagerSignIn(t, browser);
    expect(stopped.stopped).toBe(true);
    const authorize = new URL(stopped.url);
    const state = authorize.searchParams.get('state')!;
    const nonce = authorize.searchParams.get('nonce')!;
    browser.stopAt = FOLLOW_ALL;
    return browser.get(provider.callbackFor(`${t.url}/franceconnect/callback`, { state, nonce }));
  }

  it('accepts the unaltered response (control)', async () => {
    const page = await roundTrip({});
    expect(page.status).toBe(200);
    expect(page.html).toContain('Mes mandats');
    expect(page.html).toContain('FORGE');
  });

  it.each<[string, Forgery, string]>([
    ['an ID token signed by another key', { idToken: { signature: 'other-key' } }, 'token_invalid'],
    ['alg none', { idToken: { signature: 'none' } }, 'token_invalid'],
    ['HS256 keyed with the client secret', { idToken: { signature: 'hs256-client-secret' } }, 'token_invalid'],
    ['RS256 while ES256 is pinned', { idToken: { signature: 'rs256' } }, 'token_invalid'],
    ['a wrong iss', { idToken: { claims: { iss: 'https://attacker.example/api/v2' } } }, 'token_invalid'],
    ['a wrong aud', { idToken: { claims: { aud: 'another-client' } } }, 'token_invalid'],
    ['an expired ID token', { idToken: { claims: { iat: now() - 180, exp: now() - 120 } } }, 'token_invalid'],
    ['a wrong nonce', { idToken: { claims: { nonce: 'n'.repeat(43) } } }, 'token_invalid'],
    ['acr below eidas1', { idToken: { claims: { acr: 'eidas0' } } }, 'token_invalid'],
    ['a userinfo sub that is not the ID token’s', { userinfo: { claims: { sub: `${'cd'.repeat(32)}v1` } } }, 'userinfo_invalid'],
    ['a userinfo in alg none', { userinfo: { signature: 'none' } }, 'userinfo_invalid'],
    ['malformed identity claims', { userinfo: { claims: { birthdate: '1980-02-30', gender: 'x' } } }, 'claims_invalid'],
  ])('refuses %s: a French page, nothing created, journaled', async (_what, forgery, reason) => {
    const before = await countUsagers(t);
    const page = await roundTrip(forgery);
    expect(page.status).toBe(502);
    expect(page.html).toMatch(/Réponse FranceConnect refusée|Identité FranceConnect incomplète/);
    expect(page.html).toMatch(/ien n&#39;a été enregistré/);
    expect(await countUsagers(t)).toBe(before);
    const failure = (await journalOf(t, 'franceconnect.failed')).at(-1)!;
    expect(failure).toMatchObject({ chain: 'national', details: { reason, intent: 'usager_sign_in' } });
    expect(JSON.stringify(failure)).not.toMatch(/eyJ/);
  });

  it('shows FranceConnect as unavailable when it stops answering (503), nothing created', async () => {
    provider.forge({});
    const browser = usagerBrowser(`${provider.issuer}/authorize`);
    const stopped = await startUsagerSignIn(t, browser);
    const authorize = new URL(stopped.url);
    const callback = provider.callbackFor(`${t.url}/franceconnect/callback`, {
      state: authorize.searchParams.get('state')!,
      nonce: authorize.searchParams.get('nonce')!,
    });
    await provider.close();
    const before = await countUsagers(t);
    browser.stopAt = FOLLOW_ALL;
    const page = await browser.get(callback);
    expect(page.status).toBe(503);
    expect(page.html).toContain('FranceConnect indisponible');
    expect(await countUsagers(t)).toBe(before);
    const failure = (await journalOf(t, 'franceconnect.failed')).at(-1);
    expect(failure).toMatchObject({ details: { reason: 'unavailable' } });
  });
});
