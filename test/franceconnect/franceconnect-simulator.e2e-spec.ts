import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFcSimulator, type FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { simulatedPairwiseSub } from '../../src/fc-simulator/simulator-configuration.js';
import { SIMULATED_IDENTITIES } from '../../src/fc-simulator/simulator-identities.js';
import { FranceConnectClient, type AuthorizationRequest } from '../../src/franceconnect/franceconnect.client.js';
import {
  FranceConnectAccessDeniedError,
  FranceConnectClaimsInvalidError,
  FranceConnectStateMismatchError,
  FranceConnectTokenInvalidError,
  FranceConnectUnavailableError,
} from '../../src/franceconnect/franceconnect.errors.js';
import { clickButton, formsOf, TestBrowser } from './support/browser.js';
import { identitiesOn, signInAtSimulator } from './support/fc-flow.js';
import { closedPort, headerOf, LOGOUT_URI, payloadOf, REDIRECT_URI, RP_ORIGIN, startTestSimulator, TEST_CLIENT } from './support/fc-fixtures.js';

const EXPECTED: Record<string, object> = {
  angela: {
    givenName: 'Angela Claire Louise',
    familyName: 'DUBOIS',
    preferredUsername: 'MARTIN',
    birthdate: '1962-08-24',
    gender: 'female',
    birthplace: '75107',
    birthcountry: '99100',
    email: 'angela.dubois@example.fr',
  },
  lucia: { givenName: 'Lucía', familyName: 'GARCÍA FERNÁNDEZ', birthplace: '', birthcountry: '99134', gender: 'female' },
  paul: { givenName: 'Paul-Antoine Marie', familyName: 'SANTONI', birthplace: '2A004', birthcountry: '99100', gender: 'male' },
  jeanne: { givenName: 'Jeanne', familyName: 'LEFÈVRE', birthdate: '1937-05-02', birthplace: '59350' },
  mamadou: { givenName: 'Mamadou', familyName: 'DIALLO', birthplace: '', birthcountry: '99341', birthdate: '2001-12-30' },
  eric: { givenName: 'Éric Jean', familyName: 'ROUSSEL', preferredUsername: 'ROUSSEL-NGUYEN', birthplace: '69123' },
};

describe('FranceConnect relying party against the FranceConnect v2 simulator', () => {
  let simulator: FcSimulator;
  let client: FranceConnectClient;

  /** Authorization request, browser through the simulator, back at the callback URL. */
  async function signIn(identity: string, browser = new TestBrowser(RP_ORIGIN)) {
    const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    const callback = await signInAtSimulator(browser, request.url, identity);
    return { request, callback, browser };
  }

  beforeAll(async () => {
    simulator = await startTestSimulator();
    client = new FranceConnectClient({ issuer: simulator.issuer, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
  });

  afterAll(async () => {
    await simulator.close();
  });

  describe('the authorization request', () => {
    it('carries what FranceConnect v2 requires and nothing else', async () => {
      const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      const url = new URL(request.url);
      expect(`${url.origin}${url.pathname}`).toBe(`${simulator.issuer}/authorize`);
      expect(Object.fromEntries(url.searchParams)).toEqual({
        client_id: TEST_CLIENT.clientId,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid given_name family_name birthdate gender birthplace birthcountry email preferred_username',
        acr_values: 'eidas1',
        prompt: 'login',
        state: request.state,
        nonce: request.nonce,
      });
      expect(request.state.length).toBeGreaterThanOrEqual(32);
      expect(request.nonce.length).toBeGreaterThanOrEqual(32);
      expect(request.state).not.toBe(request.nonce);
      expect(request.codeVerifier).toBeUndefined();
    });

    it('draws a fresh state and nonce every time', async () => {
      const [a, b] = await Promise.all([
        client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI }),
        client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI }),
      ]);
      expect(a.state).not.toBe(b.state);
      expect(a.nonce).not.toBe(b.nonce);
    });
  });

  describe('the sign-in page', () => {
    it('lists the fictional identities and the scenarios, in French, under a strict CSP', async () => {
      const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      const browser = new TestBrowser(RP_ORIGIN);
      const page = await browser.get(request.url);
      expect(page.status).toBe(200);
      expect(page.html).toContain('<html lang="fr">');
      expect(page.html).toContain('Choisissez une identité');
      expect(page.html).toContain('/dsfr/dsfr.min.css');
      expect(page.html).not.toMatch(/<script|style=/);
      expect(identitiesOn(page)).toEqual(SIMULATED_IDENTITIES.map((identity) => identity.id));
      expect(identitiesOn(page).length).toBeGreaterThanOrEqual(9);
      const csp = page.headers.get('content-security-policy');
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      const css = await fetch(new URL('/dsfr/dsfr.min.css', simulator.issuer));
      expect(css.status).toBe(200);
    });
  });

  describe('each fictional identity', () => {
    it.each(Object.keys(EXPECTED))('%s reaches a verified identity with the right claims', async (id) => {
      const { request, callback } = await signIn(id);
      const identity = await client.handleCallback({ currentUrl: callback, expected: request });
      const claims = SIMULATED_IDENTITIES.find((candidate) => candidate.id === id)?.claims ?? {};
      expect(identity).toMatchObject(EXPECTED[id]);
      expect(identity).toMatchObject({
        givenName: claims.given_name,
        familyName: claims.family_name,
        birthdate: claims.birthdate,
        gender: claims.gender,
        birthplace: claims.birthplace,
        birthcountry: claims.birthcountry,
        acr: 'eidas1',
      });
      expect(identity.email).toBe(claims.email);
      expect('email' in identity).toBe(claims.email !== undefined);
      expect(identity.preferredUsername).toBe(claims.preferred_username);
      expect(identity.sub).toMatch(/^[0-9a-f]{64}v1$/);
      expect(identity.sub).toBe(simulatedPairwiseSub(id, TEST_CLIENT.clientId));
      expect(identity.authTime).toBeGreaterThan(Date.now() / 1000 - 60);
      expect(identity.idTokenHash).toBe(createHash('sha256').update(identity.idToken).digest('base64url'));
    });
  });

  describe('the tokens', () => {
    it('are FranceConnect-shaped: ES256 ID token of 60 s, no refresh token, 60 s access token, signed JWT userinfo', async () => {
      const { request, callback } = await signIn('paul');
      const code = new URL(callback).searchParams.get('code') as string;
      const tokenResponse = await fetch(`${simulator.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          client_id: TEST_CLIENT.clientId,
          client_secret: TEST_CLIENT.clientSecret,
        }),
      });
      expect(tokenResponse.status).toBe(200);
      const tokens = (await tokenResponse.json()) as Record<string, unknown>;
      expect(tokens.refresh_token).toBeUndefined();
      expect(tokens.expires_in).toBe(60);
      const idToken = tokens.id_token as string;
      expect(headerOf(idToken).alg).toBe('ES256');
      const claims = payloadOf(idToken);
      expect((claims.exp as number) - (claims.iat as number)).toBe(60);
      expect(claims).toMatchObject({ iss: simulator.issuer, aud: TEST_CLIENT.clientId, acr: 'eidas1', nonce: request.nonce });
      // Identity claims travel in userinfo only, as a signed JWT.
      expect(claims.given_name).toBeUndefined();
      const userinfo = await fetch(`${simulator.issuer}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token as string}` } });
      expect(userinfo.headers.get('content-type')).toMatch(/^application\/jwt/);
      const jwt = await userinfo.text();
      expect(headerOf(jwt).alg).toBe('ES256');
      expect(payloadOf(jwt)).toMatchObject({ sub: claims.sub, given_name: 'Paul-Antoine Marie', birthplace: '2A004' });
    });

    it('gives each client its own pairwise sub, stable for the same person', async () => {
      const other = { ...TEST_CLIENT, clientId: 'other-service', clientSecret: 'other-service-secret-0123456789' };
      await simulator.registerClient(other);
      const otherClient = new FranceConnectClient({ issuer: simulator.issuer, ...other, pkce: false, idTokenAlg: 'ES256' });
      const first = await signIn('angela');
      const second = await signIn('angela');
      const request = await otherClient.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      const callback = await signInAtSimulator(new TestBrowser(RP_ORIGIN), request.url, 'angela');
      const subs = [
        (await client.handleCallback({ currentUrl: first.callback, expected: first.request })).sub,
        (await client.handleCallback({ currentUrl: second.callback, expected: second.request })).sub,
        (await otherClient.handleCallback({ currentUrl: callback, expected: request })).sub,
      ];
      expect(subs[0]).toBe(subs[1]);
      expect(subs[2]).not.toBe(subs[0]);
      expect(subs[2]).toMatch(/^[0-9a-f]{64}v1$/);
    });

    it('refuses client_secret_basic at the token endpoint', async () => {
      const { callback } = await signIn('eric');
      const response = await fetch(`${simulator.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${TEST_CLIENT.clientId}:${TEST_CLIENT.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: new URL(callback).searchParams.get('code') as string, redirect_uri: REDIRECT_URI }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    });
  });

  describe('failures become typed errors', () => {
    it('access_denied: the person cancels, FranceConnect sends the error back with the state', async () => {
      const { request, callback } = await signIn('refus');
      const url = new URL(callback);
      expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
      expect(url.searchParams.get('error')).toBe('access_denied');
      expect(url.searchParams.get('state')).toBe(request.state);
      await expect(client.handleCallback({ currentUrl: callback, expected: request })).rejects.toThrow(FranceConnectAccessDeniedError);
    });

    it('access_denied from the consent page too', async () => {
      const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      const browser = new TestBrowser(RP_ORIGIN);
      const consent = await clickButton(browser, await browser.get(request.url), 'identity', 'jeanne');
      expect(consent.html).toContain('Transmettre vos informations');
      const back = await clickButton(browser, consent, 'decision', 'cancel');
      expect(new URL(back.url).searchParams.get('error')).toBe('access_denied');
      const error = await client.handleCallback({ currentUrl: back.url, expected: request }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FranceConnectAccessDeniedError);
      expect((error as FranceConnectAccessDeniedError).code).toBe('franceconnect.access_denied');
    });

    it('state mismatch', async () => {
      const { request, callback } = await signIn('angela');
      const other = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      const error = await client.handleCallback({ currentUrl: callback, expected: { ...request, state: other.state } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FranceConnectStateMismatchError);
      expect((error as FranceConnectStateMismatchError).code).toBe('franceconnect.state_mismatch');
      expect((error as FranceConnectStateMismatchError).userMessage).toMatch(/Rien n'a été enregistré/);
    });

    it('a callback without state', async () => {
      const { request, callback } = await signIn('angela');
      const url = new URL(callback);
      url.searchParams.delete('state');
      await expect(client.handleCallback({ currentUrl: url, expected: request })).rejects.toThrow(FranceConnectStateMismatchError);
    });

    it('wrong nonce', async () => {
      const { request, callback } = await signIn('angela');
      const other: AuthorizationRequest = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      const error = await client.handleCallback({ currentUrl: callback, expected: { ...request, nonce: other.nonce } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FranceConnectTokenInvalidError);
      expect((error as FranceConnectTokenInvalidError).code).toBe('franceconnect.token_invalid');
      expect((error as Error).cause).toBeDefined();
    });

    it('a replayed code', async () => {
      const { request, callback } = await signIn('angela');
      await client.handleCallback({ currentUrl: callback, expected: request });
      await expect(client.handleCallback({ currentUrl: callback, expected: request })).rejects.toThrow(FranceConnectTokenInvalidError);
    });

    it('HTTP 500 at the token endpoint', async () => {
      const { request, callback } = await signIn('panne');
      const error = await client.handleCallback({ currentUrl: callback, expected: request }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FranceConnectUnavailableError);
      expect((error as FranceConnectUnavailableError).status).toBe(503);
    });

    it('malformed userinfo claims', async () => {
      const { request, callback } = await signIn('malforme');
      const error = await client.handleCallback({ currentUrl: callback, expected: request }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FranceConnectClaimsInvalidError);
      expect((error as FranceConnectClaimsInvalidError).claims).toEqual(['birthdate', 'gender', 'birthplace', 'email']);
      expect((error as Error).message).not.toContain('1980-02-30');
    });

    it('FranceConnect down (nothing listens on its port)', async () => {
      const down = new FranceConnectClient({ issuer: `http://127.0.0.1:${await closedPort()}/api/v2`, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
      const error = await down.buildAuthorizationRequest({ redirectUri: REDIRECT_URI }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FranceConnectUnavailableError);
      expect((error as FranceConnectUnavailableError).code).toBe('franceconnect.unavailable');
      expect((error as Error).cause).toBeDefined();
    });
    it('retries discovery once FranceConnect is back (a failure is not cached)', async () => {
      const port = await closedPort();
      const late = new FranceConnectClient({ issuer: `http://127.0.0.1:${port}/api/v2`, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
      await expect(late.buildAuthorizationRequest({ redirectUri: REDIRECT_URI })).rejects.toThrow(FranceConnectUnavailableError);
      const back = await startFcSimulator({ port, nodeEnv: 'test', clients: [TEST_CLIENT] });
      try {
        const request = await late.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
        expect(request.url.startsWith(`${back.issuer}/authorize?`)).toBe(true);
      } finally {
        await back.close();
      }
    });
  });

  describe('the simulator refuses what FranceConnect v2 refuses', () => {
    it.each([
      ['an unknown parameter', { foo: 'bar' }, 'unknown parameter: foo'],
      ['PKCE', { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }, 'unknown parameter: code_challenge'],
      ['a missing state', { state: undefined }, 'missing parameter: state'],
      ['a short state', { state: 'x'.repeat(31) }, 'state must be at least 32 characters long'],
      ['a missing nonce', { nonce: undefined }, 'missing parameter: nonce'],
      ['a short nonce', { nonce: 'abc' }, 'nonce must be at least 32 characters long'],
      ['prompt=none', { prompt: 'none' }, 'prompt must be login and/or consent'],
      ['prompt=select_account', { prompt: 'select_account' }, 'prompt must be login and/or consent'],
      ['a missing acr_values', { acr_values: undefined }, 'missing parameter: acr_values'],
      ['acr_values=eidas2', { acr_values: 'eidas2' }, 'acr_values must be eidas1'],
    ])('%s', async (_what, change: Record<string, string | undefined>, description) => {
      const url = new URL((await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI })).url);
      for (const [name, value] of Object.entries(change)) {
        if (value === undefined) url.searchParams.delete(name);
        else url.searchParams.set(name, value);
      }
      const response = await fetch(url, { redirect: 'manual' });
      const html = await response.text();
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(html).toContain('invalid_request');
      expect(html).toContain(description);
    });

    it('an unregistered redirect_uri', async () => {
      const url = new URL((await client.buildAuthorizationRequest({ redirectUri: 'http://127.0.0.1:3999/ailleurs' })).url);
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('redirect_uri');
    });
  });

  describe('end session', () => {
    it('signs the person out and returns to the registered post-logout URI with the state', async () => {
      const { request, callback, browser } = await signIn('lucia');
      const identity = await client.handleCallback({ currentUrl: callback, expected: request });
      const logoutState = (await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI })).state;
      const endSession = await client.buildEndSessionUrl({ idTokenHint: identity.idToken, state: logoutState, postLogoutRedirectUri: LOGOUT_URI });
      expect(Object.fromEntries(new URL(endSession).searchParams)).toEqual({
        id_token_hint: identity.idToken,
        state: logoutState,
        post_logout_redirect_uri: LOGOUT_URI,
      });
      const confirm = await browser.get(endSession);
      expect(confirm.html).toContain('Déconnexion de FranceConnect');
      const done = await clickButton(browser, confirm, 'logout', 'yes');
      expect(done.stopped).toBe(true);
      expect(`${new URL(done.url).origin}${new URL(done.url).pathname}`).toBe(LOGOUT_URI);
      expect(new URL(done.url).searchParams.get('state')).toBe(logoutState);
      // Signed out: the next request shows the identity list again.
      const again = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
      expect(identitiesOn(await browser.get(again.url))).toContain('lucia');
    });

    it.each([
      ['without id_token_hint', (url: URL) => url.searchParams.delete('id_token_hint'), 'missing parameter: id_token_hint'],
      ['with an unknown parameter', (url: URL) => url.searchParams.set('client_id', TEST_CLIENT.clientId), 'unknown parameter: client_id'],
    ])('is refused %s', async (_what, change, description) => {
      const { request, callback } = await signIn('mamadou');
      const identity = await client.handleCallback({ currentUrl: callback, expected: request });
      const url = new URL(await client.buildEndSessionUrl({ idTokenHint: identity.idToken, state: request.state, postLogoutRedirectUri: LOGOUT_URI }));
      change(url);
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain(description);
    });

    it('refuses an unregistered post-logout URI', async () => {
      const { request, callback, browser } = await signIn('eric');
      const identity = await client.handleCallback({ currentUrl: callback, expected: request });
      const url = await client.buildEndSessionUrl({ idTokenHint: identity.idToken, state: request.state, postLogoutRedirectUri: `${RP_ORIGIN}/ailleurs` });
      const page = await browser.get(url);
      expect(page.status).toBe(400);
      expect(formsOf(page)).toEqual([]);
    });
  });
});

describe('PKCE is a per-issuer switch', () => {
  let simulator: FcSimulator;

  beforeAll(async () => {
    simulator = await startTestSimulator({ acceptPkce: true });
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('with FC_PKCE on, the request carries S256 PKCE and the verifier is checked at the token endpoint', async () => {
    const client = new FranceConnectClient({ issuer: simulator.issuer, ...TEST_CLIENT, pkce: true, idTokenAlg: 'ES256' });
    const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    const url = new URL(request.url);
    expect(request.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toBe(createHash('sha256').update(request.codeVerifier as string).digest('base64url'));
    const callback = await signInAtSimulator(new TestBrowser(RP_ORIGIN), request.url, 'angela');
    const identity = await client.handleCallback({ currentUrl: callback, expected: request });
    expect(identity.givenName).toBe('Angela Claire Louise');

    const second = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    const secondCallback = await signInAtSimulator(new TestBrowser(RP_ORIGIN), second.url, 'angela');
    await expect(
      client.handleCallback({ currentUrl: secondCallback, expected: { ...second, codeVerifier: request.codeVerifier } }),
    ).rejects.toThrow(FranceConnectTokenInvalidError);
  });

  it('with FC_PKCE off, the same issuer works without PKCE', async () => {
    const client = new FranceConnectClient({ issuer: simulator.issuer, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
    const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    expect(new URL(request.url).searchParams.has('code_challenge')).toBe(false);
    const callback = await signInAtSimulator(new TestBrowser(RP_ORIGIN), request.url, 'paul');
    expect((await client.handleCallback({ currentUrl: callback, expected: request })).birthplace).toBe('2A004');
  });
});
