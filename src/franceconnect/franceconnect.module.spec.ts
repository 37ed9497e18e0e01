import { describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../../config/config.js';
import { AppConfigModule } from '../shared/app-config.module.js';
import { FranceConnectClient } from './franceconnect.client.js';
import { FranceConnectModule } from './franceconnect.module.js';

describe('FranceConnectModule', () => {
  it('provides one FranceConnectClient built from the configuration', async () => {
    const config = loadConfig({ FC_ISSUER: 'https://fc.example.test/api/v2' });
    @Module({ imports: [AppConfigModule.forRoot(config), FranceConnectModule] })
    class Host {}
    const context = await NestFactory.createApplicationContext(Host, { logger: false });
    try {
      expect(context.get(FranceConnectClient)).toBeInstanceOf(FranceConnectClient);
      expect(context.get(FranceConnectClient)).toBe(context.get(FranceConnectClient));
    } finally {
      await context.close();
    }
  });

  it.each([
    ['an http issuer off loopback', 'http://fc.example.test/api/v2'],
  ])('refuses %s', (_what, issuer) => {
    expect(
      () => new FranceConnectClient({ issuer, clientId: 'c', clientSecret: 's'.repeat(16), pkce: false, idTokenAlg: 'ES256' }),
    ).toThrow(/https/);
  });
});
