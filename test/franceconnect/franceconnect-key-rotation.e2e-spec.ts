import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { FranceConnectClient, KEY_REFETCH_MIN_INTERVAL_MS } from '../../src/franceconnect/franceconnect.client.js';
import { FranceConnectTokenInvalidError } from '../../src/franceconnect/franceconnect.errors.js';
import { TestBrowser } from './support/browser.js';
import { signInAtSimulator } from './support/fc-flow.js';
import { headerOf, REDIRECT_URI, RP_ORIGIN, startTestSimulator, TEST_CLIENT } from './support/fc-fixtures.js';
import { startForgingProvider, type ForgingProvider } from './support/forging-provider.js';

const pastTheBound = () => new Promise((resolve) => setTimeout(resolve, KEY_REFETCH_MIN_INTERVAL_MS + 200));

/**
 * FranceConnect rotates its signing key: the first ID token signed with
 * the new key id must be accepted at once (one immediate refetch of the key
 * set), while tokens naming a key id nobody published cause at most one
 * refetch per KEY_REFETCH_MIN_INTERVAL_MS.
 */
describe('FranceConnect key rotation', () => {
  describe('against the simulator', () => {
    let simulator: FcSimulator;
    let client: FranceConnectClient;

    beforeAll(async () => {
      simulator = await startTestSimulator();
      client = new FranceConnectClient({ issuer: simulator.issuer, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
    });

    afterAll(async () => {
      await simulator.close();
    });

    async function signIn(identity: string) {
      const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      const callback = await signInAtSimulator(new TestBrowser(RP_ORIGIN), request.url, identity);
      return client.handleCallback({ currentUrl: callback, expected: request });
    }

    it('accepts the first token signed with a rotated key, after one refetch', async () => {
      const before = await signIn('angela');
      const oldKid = headerOf(before.idToken).kid;
      const fetchesBefore = simulator.jwksFetches;
      expect(fetchesBefore).toBeGreaterThanOrEqual(1);

      // FranceConnect rotates some time after our last fetch of its keys.
      await pastTheBound();
      const newKid = await simulator.rotateSigningKey();
      expect(newKid).not.toBe(oldKid);

      const after = await signIn('paul');
      expect(headerOf(after.idToken).kid).toBe(newKid);
      expect(after.givenName).toBe('Paul-Antoine Marie');
      expect(simulator.jwksFetches).toBe(fetchesBefore + 1);

      // The new key is known now: the next sign-in fetches nothing.
      await signIn('lucia');
      expect(simulator.jwksFetches).toBe(fetchesBefore + 1);
    }, 30_000);
  });

  describe('against tokens naming an unpublished key id', () => {
    let provider: ForgingProvider;
    let client: FranceConnectClient;

    beforeAll(async () => {
      provider = await startForgingProvider(TEST_CLIENT);
      client = new FranceConnectClient({ issuer: provider.issuer, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
    });

    afterAll(async () => {
      await provider.close();
    });

    it('refetches the key set at most once per bound, however many such tokens arrive', async () => {
      provider.forge({});
      let request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      await client.handleCallback({ currentUrl: provider.callbackFor(REDIRECT_URI, request), expected: request });
      expect(provider.jwksRequests).toBe(1);
      await pastTheBound();

      provider.forge({ idToken: { signature: 'unknown-kid' } });
      const outcomes = [];
      for (let i = 0; i < 12; i += 1) {
        request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
        outcomes.push(await client.handleCallback({ currentUrl: provider.callbackFor(REDIRECT_URI, request), expected: request }).catch((e: unknown) => e));
      }
      expect(outcomes.every((outcome) => outcome instanceof FranceConnectTokenInvalidError)).toBe(true);
      expect(String((outcomes[0] as Error).message)).toMatch(/key/i);
      // One refetch for the first unknown key id, none for the eleven that followed within the bound.
      expect(provider.jwksRequests).toBe(2);

      // An honest token still passes, with the keys in hand.
      provider.forge({});
      request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      await client.handleCallback({ currentUrl: provider.callbackFor(REDIRECT_URI, request), expected: request });
      expect(provider.jwksRequests).toBe(2);
    }, 30_000);
  });
});
