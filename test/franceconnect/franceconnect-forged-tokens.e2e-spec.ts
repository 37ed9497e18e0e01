import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FranceConnectClient } from '../../src/franceconnect/franceconnect.client.js';
import {
  FranceConnectTokenInvalidError,
  FranceConnectUserinfoInvalidError,
} from '../../src/franceconnect/franceconnect.errors.js';
import { REDIRECT_URI, TEST_CLIENT } from './support/fc-fixtures.js';
import { FORGED_SUB, startForgingProvider, type Forgery, type ForgingProvider } from './support/forging-provider.js';

const now = () => Math.floor(Date.now() / 1000);

/**
 * Tokens FranceConnect would never send, crafted with jose by a small
 * provider on loopback: each must be refused with a typed error.
 */
describe('FranceConnect relying party against forged responses', () => {
  let provider: ForgingProvider;
  let client: FranceConnectClient;

  async function callbackWith(forgery: Forgery) {
    provider.forge(forgery);
    const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    return client.handleCallback({ currentUrl: provider.callbackFor(REDIRECT_URI, request), expected: request });
  }

  beforeAll(async () => {
    provider = await startForgingProvider(TEST_CLIENT);
    client = new FranceConnectClient({ issuer: provider.issuer, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
  });

  afterAll(async () => {
    await provider.close();
  });

  it('accepts the unaltered response (control)', async () => {
    const identity = await callbackWith({});
    expect(identity).toMatchObject({ sub: FORGED_SUB, givenName: 'Claire', familyName: 'FORGE', acr: 'eidas1', birthplace: '35238' });
  });

  it.each(['eidas2', 'eidas3'])('accepts acr %s (above eidas1)', async (acr) => {
    expect((await callbackWith({ idToken: { claims: { acr } } })).acr).toBe(acr);
  });

  it.each<[string, Forgery, RegExp]>([
    ['signed by another key', { idToken: { signature: 'other-key' } }, /signature verification failed/],
    ['alg none', { idToken: { signature: 'none' } }, /"alg" header/],
    ['HS256 keyed with the client secret', { idToken: { signature: 'hs256-client-secret' } }, /"alg" header/],
    ['RS256 (a published key, but not the pinned algorithm)', { idToken: { signature: 'rs256' } }, /"alg" header/],
    ['a wrong iss', { idToken: { claims: { iss: 'https://attacker.example/api/v2' } } }, /"iss"/],
    ['a wrong aud', { idToken: { claims: { aud: 'another-client' } } }, /"aud"/],
    ['an expired token', { idToken: { claims: { iat: now() - 180, exp: now() - 120 } } }, /"exp"/],
    ['a wrong nonce', { idToken: { claims: { nonce: 'n'.repeat(43) } } }, /"nonce"/],
    ['no nonce', { idToken: { drop: ['nonce'] } }, /"nonce"/],
    ['acr below eidas1', { idToken: { claims: { acr: 'eidas0' } } }, /acr is missing or below eidas1/],
    ['no acr', { idToken: { drop: ['acr'] } }, /acr is missing or below eidas1/],
  ])('refuses an ID token with %s', async (_what, forgery, reason) => {
    const error = await callbackWith(forgery).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FranceConnectTokenInvalidError);
    expect((error as FranceConnectTokenInvalidError).code).toBe('franceconnect.token_invalid');
    expect((error as FranceConnectTokenInvalidError).status).toBe(502);
    expect((error as Error).message).toMatch(reason);
  });

  it.each<[string, Forgery, RegExp]>([
    ['whose sub is not the ID token’s', { userinfo: { claims: { sub: `${'cd'.repeat(32)}v1` } } }, /"sub"/],
    ['signed by another key', { userinfo: { signature: 'other-key' } }, /signature verification failed/],
    ['with alg none', { userinfo: { signature: 'none' } }, /"alg" header/],
    ['in HS256', { userinfo: { signature: 'hs256-client-secret' } }, /"alg" header/],
    ['in plain JSON while the issuer signs userinfo', { userinfo: { signature: 'json' } }, /JWT UserInfo Response expected/],
  ])('refuses a userinfo response %s', async (_what, forgery, reason) => {
    const error = await callbackWith(forgery).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FranceConnectUserinfoInvalidError);
    expect((error as FranceConnectUserinfoInvalidError).code).toBe('franceconnect.userinfo_invalid');
    expect((error as Error).message).toMatch(reason);
  });

  it('pins RS256 instead when configured so, and then refuses ES256', async () => {
    const rsClient = new FranceConnectClient({ issuer: provider.issuer, ...TEST_CLIENT, pkce: false, idTokenAlg: 'RS256' });
    provider.forge({ idToken: { signature: 'rs256' }, userinfo: { signature: 'rs256' } });
    let request = await rsClient.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    const identity = await rsClient.handleCallback({ currentUrl: provider.callbackFor(REDIRECT_URI, request), expected: request });
    expect(identity.sub).toBe(FORGED_SUB);
    provider.forge({ userinfo: { signature: 'rs256' } });
    request = await rsClient.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    await expect(
      rsClient.handleCallback({ currentUrl: provider.callbackFor(REDIRECT_URI, request), expected: request }),
    ).rejects.toThrow(FranceConnectTokenInvalidError);
  });
});
