import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FranceConnectClient, franceConnectOptionsFrom } from '../../src/franceconnect/franceconnect.client.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('FranceConnect simulator in the test harness', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp();
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('starts the simulator on a free loopback port and gives its issuer to the app', async () => {
    const issuer = testApp.config.franceConnect.issuer as string;
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/);
    expect(issuer).toBe(testApp.simulator?.issuer);
    const client = new FranceConnectClient(franceConnectOptionsFrom(testApp.config));
    const request = await client.buildAuthorizationRequest({ redirectUri: `${testApp.url}/franceconnect/callback` });
    expect(request.url.startsWith(`${issuer}/authorize?`)).toBe(true);
  });

  it('registers the app’s real callback at the simulator', async () => {
    const client = new FranceConnectClient(franceConnectOptionsFrom(testApp.config));
    const request = await client.buildAuthorizationRequest({ redirectUri: `${testApp.url}/franceconnect/callback` });
    const response = await fetch(request.url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/\/api\/v2\/interaction\//);
  });
});

describe('the simulator lifecycle', () => {
  it('stops with the app', async () => {
    const testApp = await startTestApp();
    const discovery = `${testApp.simulator?.issuer as string}/.well-known/openid-configuration`;
    expect((await fetch(discovery)).status).toBe(200);
    await testApp.close();
    await expect(fetch(discovery)).rejects.toThrow();
  });
});

describe('the test harness with FC_ISSUER given', () => {
  it('starts no simulator', async () => {
    const testApp = await startTestApp({ FC_ISSUER: 'https://fc.example.test/api/v2' });
    try {
      expect(testApp.simulator).toBeUndefined();
      expect(testApp.config.franceConnect.issuer).toBe('https://fc.example.test/api/v2');
    } finally {
      await testApp.close();
    }
  });
});
