import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { journalOf } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { countUsagers, startUsagerSignIn, usagerBrowser } from '../support/usagers.js';

/**
 * FranceConnect sends the browser back with `error` (and
 * `error_description`) instead of a code: the service shows a French page
 * saying what FranceConnect answered and what it means, journals it with
 * the round trip, and creates nothing.
 */
describe('an error returned by FranceConnect to the callback', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  /** Starts a usager sign-in, stops at FranceConnect's authorize, and comes back with `error`. */
  async function returnWith(error: string, description: string) {
    const browser = usagerBrowser(`${t.config.franceConnect.issuer}/authorize`);
    const authorize = await startUsagerSignIn(t, browser);
    expect(authorize.stopped).toBe(true);
    const state = new URL(authorize.url).searchParams.get('state')!;
    browser.stopAt = 'never-stop:';
    const callback = new URL(`${t.url}/franceconnect/callback`);
    callback.searchParams.set('error', error);
    callback.searchParams.set('error_description', description);
    callback.searchParams.set('state', state);
    return browser.get(callback.href);
  }

  it.each<[string, RegExp]>([
    ['invalid_scope', /refusé la demande envoyée par Procuration/],
    ['unauthorized_client', /refusé la demande envoyée par Procuration/],
    ['invalid_request', /refusé la demande envoyée par Procuration/],
    ['temporarily_unavailable', /momentanément indisponible/],
    ['server_error', /momentanément indisponible/],
    ['login_required', /identifier à nouveau/],
  ])('%s: a French page naming the answer, journaled with the round trip', async (error, meaning) => {
    const before = await countUsagers(t);
    const page = await returnWith(error, '<b>Texte libre du fournisseur</b>');
    expect(page.status).toBe(502);
    expect(page.html).toContain(`« ${error} »`);
    expect(page.html).toMatch(meaning);
    expect(page.html).toContain('a été enregistré');
    // The provider's free text is neither shown nor journaled.
    expect(page.html).not.toContain('Texte libre du fournisseur');
    const [failed] = (await journalOf(t, 'franceconnect.failed')).slice(-1);
    expect(failed!.details).toMatchObject({ intent: 'usager_sign_in', reason: 'provider_error', error });
    expect(typeof failed!.details.transactionId).toBe('string');
    expect(JSON.stringify(failed!.details)).not.toContain('Texte libre');
    expect(await countUsagers(t)).toBe(before);
  });

  it('an error code that is not an identifier is not echoed', async () => {
    const page = await returnWith('<script>alert(1)</script>', 'x');
    expect(page.status).toBe(502);
    expect(page.html).not.toContain('<script>alert(1)</script>');
    expect(page.html).toContain('« non reconnue »');
    const [failed] = (await journalOf(t, 'franceconnect.failed')).slice(-1);
    expect(failed!.details).toMatchObject({ reason: 'provider_error', error: 'unrecognised' });
  });
});
