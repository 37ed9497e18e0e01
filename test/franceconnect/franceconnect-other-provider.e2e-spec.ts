import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { FranceConnectClient } from '../../src/franceconnect/franceconnect.client.js';
import { TestBrowser } from './support/browser.js';
import { headerOf, REDIRECT_URI, RP_ORIGIN, TEST_CLIENT } from './support/fc-fixtures.js';

const BASE = '/realms/test';
const CLAIMS = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email', 'preferred_username'];
const MARIE = {
  given_name: 'Marie Thérèse',
  family_name: 'NGUYEN',
  birthdate: '1958-04-09',
  gender: 'female',
  birthplace: '13055',
  birthcountry: '99100',
  email: 'marie.nguyen@example.org',
};

/**
 * A plain oidc-provider configured independently of the simulator (RS256
 * ID tokens, JSON userinfo, another issuer path, its own minimal
 * interaction that signs one person in at eidas1), to show the relying
 * party depends on the standards only, not on simulator quirks.
 */
async function startPlainProvider(): Promise<{ issuer: string; server: Server }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const app = express();
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${BASE}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT.clientId,
        client_secret: TEST_CLIENT.clientSecret,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'plain-rs256', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', ...CLAIMS],
    claims: Object.fromEntries([['openid', ['sub']], ...CLAIMS.map((claim) => [claim, [claim]])]),
    acrValues: ['eidas1'],
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, ...MARIE }) }),
    interactions: { url: async (_ctx, interaction) => `${BASE}/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    ttl: { AuthorizationCode: 60, AccessToken: 300, IdToken: 300, Interaction: 600, Session: 600, Grant: 600 },
  });
  app.get(`${BASE}/interaction/:uid`, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: 'marie-42', acr: 'eidas1' } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: details.session?.accountId as string, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    } catch (error) {
      next(error);
    }
  });
  app.use(BASE, provider.callback());
  return { issuer, server };
}

describe('FranceConnect relying party against an independently configured OIDC provider', () => {
  let plain: { issuer: string; server: Server };

  beforeAll(async () => {
    plain = await startPlainProvider();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      plain.server.close(() => resolve());
      plain.server.closeAllConnections();
    });
  });

  it('is not FranceConnect-shaped: no JWT userinfo, another path, its own endpoint names', async () => {
    const metadata = (await (await fetch(`${plain.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(plain.issuer);
    expect(metadata.userinfo_signing_alg_values_supported).toBeUndefined();
    expect(metadata.userinfo_endpoint).toBe(`${plain.issuer}/me`);
    expect(metadata.authorization_endpoint).toBe(`${plain.issuer}/auth`);
  });

  it.each([
    ['without PKCE', false],
    ['with PKCE', true],
  ])('reaches the verified identity %s (RS256 pinned, JSON userinfo)', async (_what, pkce) => {
    const client = new FranceConnectClient({ issuer: plain.issuer, ...TEST_CLIENT, pkce, idTokenAlg: 'RS256' });
    const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    expect(new URL(request.url).searchParams.has('code_challenge')).toBe(pkce);
    const back = await new TestBrowser(RP_ORIGIN).get(request.url);
    expect(back.stopped).toBe(true);
    const identity = await client.handleCallback({ currentUrl: back.url, expected: request });
    expect(identity).toMatchObject({
      sub: 'marie-42',
      givenName: 'Marie Thérèse',
      familyName: 'NGUYEN',
      birthdate: '1958-04-09',
      gender: 'female',
      birthplace: '13055',
      birthcountry: '99100',
      email: 'marie.nguyen@example.org',
      acr: 'eidas1',
    });
    expect(identity.preferredUsername).toBeUndefined();
    expect(headerOf(identity.idToken).alg).toBe('RS256');
  });

  it('refuses its RS256 ID tokens when ES256 is pinned', async () => {
    const client = new FranceConnectClient({ issuer: plain.issuer, ...TEST_CLIENT, pkce: false, idTokenAlg: 'ES256' });
    const request = await client.buildAuthorizationRequest({ redirectUri: REDIRECT_URI });
    const back = await new TestBrowser(RP_ORIGIN).get(request.url);
    await expect(client.handleCallback({ currentUrl: back.url, expected: request })).rejects.toMatchObject({
      code: 'franceconnect.token_invalid',
    });
  });
});
