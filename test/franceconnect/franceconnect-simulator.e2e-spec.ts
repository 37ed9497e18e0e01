import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFcSimulator, type FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { SIMULATED_IDENTITIES } from '../../src/fc-simulator/simulator-identities.js';
import { FranceConnectClient } from '../../src/franceconnect/franceconnect.client.js';
import { TestBrowser } from './support/browser.js';
import { identitiesOn, signInAtSimulator } from './support/fc-flow.js';

const RP = 'http://127.0.0.1:3999';
const REDIRECT_URI = `${RP}/franceconnect/callback`;
const LOGOUT_URI = `${RP}/franceconnect/deconnexion`;
const CLIENT = { clientId: 'procuration-test', clientSecret: 'test-secret-0123456789abcdef' };

describe('FranceConnect simulator and relying party', () => {
  let simulator: FcSimulator;
  let client: FranceConnectClient;

  beforeAll(async () => {
    simulator = await startFcSimulator({
      port: 0,
      nodeEnv: 'test',
      clients: [{ ...CLIENT, redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [LOGOUT_URI] }],
    });
    client = new FranceConnectClient({ issuer: simulator.issuer, ...CLIENT, pkce: false, idTokenAlg: 'ES256' });
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('signs in angela', async () => {
    const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    const browser = new TestBrowser(RP);
    expect(identitiesOn(await browser.get(request.url))).toEqual(SIMULATED_IDENTITIES.map((i) => i.id));
    const callback = await signInAtSimulator(browser, request.url, 'angela');
    const identity = await client.handleCallback({ currentUrl: callback, expected: request });
    expect(identity).toMatchObject({ givenName: 'Angela Claire Louise', acr: 'eidas1' });
    expect(identity.sub).toMatch(/^[0-9a-f]{64}v1$/);
  });
});
