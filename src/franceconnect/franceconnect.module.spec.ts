import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../config/config.js';
import { FranceConnectClient, franceConnectOptionsFrom } from './franceconnect.client.js';

describe('FranceConnectModule', () => {
  it('builds the client options from the configuration', () => {
    const config = loadConfig({ FC_ISSUER: 'https://fc.example.test/api/v2', FC_PKCE: 'true', FC_ID_TOKEN_ALG: 'RS256' });
    expect(franceConnectOptionsFrom(config)).toEqual({
      issuer: 'https://fc.example.test/api/v2',
      clientId: config.franceConnect.clientId,
      clientSecret: config.franceConnect.clientSecret,
      pkce: true,
      idTokenAlg: 'RS256',
    });
    expect(() => franceConnectOptionsFrom(loadConfig({}))).toThrow(/issuer is not configured/);
  });

  it.each([
    ['an http issuer off loopback', 'http://fc.example.test/api/v2'],
  ])('refuses %s', (_what, issuer) => {
    expect(
      () => new FranceConnectClient({ issuer, clientId: 'c', clientSecret: 's'.repeat(16), pkce: false, idTokenAlg: 'ES256' }),
    ).toThrow(/https/);
  });
});
