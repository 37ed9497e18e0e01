import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { FcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { simulatorClientFrom, startFcSimulator } from '../../src/fc-simulator/fc-simulator.js';
import { FranceConnectStatusService } from '../../src/franceconnect/franceconnect-status.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { closedPort } from './support/fc-fixtures.js';

/** Production secrets for these tests only (generated shapes, never used elsewhere). */
const PRODUCTION = {
  NODE_ENV: 'production',
  SESSION_SECRET: 's'.repeat(48),
  FC_CLIENT_SECRET: 'a-production-like-fc-secret',
  KEYS_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
  FC_SUB_KEY: 'k'.repeat(32),
  TOTP_ENCRYPTION_KEY: 'cd'.repeat(32),
  PROVIDER_PAIRWISE_KEY: 'p'.repeat(32),
};

async function simulator(options: { acceptPkce?: boolean } = {}): Promise<FcSimulator> {
  return startFcSimulator({ port: 0, nodeEnv: 'test', clients: [], ...options });
}

/**
 * The start-up check of FranceConnect: discovery and key set fetched once,
 * one line naming the issuer and what was found, production refusing to
 * start on a failure or an incompatibility; /health reporting FranceConnect
 * without failing on it.
 */
describe('FranceConnect at start', () => {
  describe('with the simulator (test environment)', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });

    afterAll(async () => {
      await t.close();
    });

    it('checks discovery and keys and says what it found in one line', () => {
      const startup = t.app.get(FranceConnectStatusService).startup!;
      expect(startup.ok).toBe(true);
      expect(startup.problems).toEqual([]);
      expect(startup.line).not.toContain('\n');
      expect(startup.line).toContain(`FranceConnect check passed: issuer ${t.config.franceConnect.issuer}`);
      expect(startup.line).toMatch(/ID token ES256; userinfo JWT ES256; PKCE not sent \(announced: none\); end session yes; 1 key\(s\), 1 for ES256 \(kid fc-sim-[0-9a-f]+\)/);
    });

    it('reports FranceConnect in /health', async () => {
      const res = await request(t.url).get('/health').expect(200);
      expect(res.body).toEqual({ status: 'ok', database: 'up', franceconnect: 'up' });
    });
  });

  describe('outside production, a broken FranceConnect configuration', () => {
    it('FC_PKCE=true against an issuer that refuses PKCE: starts and says why round trips will fail', async () => {
      const fc = await simulator({ acceptPkce: false });
      const t = await startTestApp({ FC_ISSUER: fc.issuer, FC_PKCE: 'true' });
      try {
        const startup = t.app.get(FranceConnectStatusService).startup!;
        expect(startup.ok).toBe(false);
        expect(startup.line).toContain(`FranceConnect check failed: issuer ${fc.issuer}`);
        expect(startup.line).toContain('FC_PKCE=true but the issuer does not announce S256 PKCE');
        expect(startup.line).toContain('starting anyway (NODE_ENV=test)');
        await request(t.url).get('/health').expect(200);
      } finally {
        await t.close();
        await fc.close();
      }
    });

    it('a wrong FC_ISSUER: starts, names the issuer it could not reach, and /health says FranceConnect is down', async () => {
      const wrong = `http://127.0.0.1:${await closedPort()}/api/v2`;
      const t = await startTestApp({ FC_ISSUER: wrong });
      try {
        const startup = t.app.get(FranceConnectStatusService).startup!;
        expect(startup.ok).toBe(false);
        expect(startup.line).toContain(`FranceConnect check failed: issuer ${wrong}: discovery or key set unreachable`);
        const res = await request(t.url).get('/health').expect(200);
        expect(res.body).toEqual({ status: 'ok', database: 'up', franceconnect: 'down' });
      } finally {
        await t.close();
      }
    });

    it('ID tokens pinned to RS256 while the issuer signs ES256 only', async () => {
      const fc = await simulator();
      const t = await startTestApp({ FC_ISSUER: fc.issuer, FC_ID_TOKEN_ALG: 'RS256' });
      try {
        const startup = t.app.get(FranceConnectStatusService).startup!;
        expect(startup.problems).toEqual(['ID tokens in RS256 (FC_ID_TOKEN_ALG) not announced (ES256)', 'no published key for RS256 in the key set']);
      } finally {
        await t.close();
        await fc.close();
      }
    });
  });

  describe('in production', () => {
    it('refuses to start when FranceConnect cannot be reached, in one line', async () => {
      const wrong = `http://127.0.0.1:${await closedPort()}/api/v2`;
      const error = await startTestApp({ ...PRODUCTION, FC_ISSUER: wrong }).catch((e: unknown) => e);
      expect((error as Error).name).toBe('FranceConnectStartupError');
      expect((error as Error).message).toContain(`FranceConnect check failed: issuer ${wrong}: discovery or key set unreachable`);
      expect((error as Error).message).toContain('refusing to start (NODE_ENV=production)');
      expect((error as Error).message).not.toContain('\n');
    });

    it('refuses to start when FC_PKCE=true and the issuer refuses PKCE', async () => {
      const fc = await simulator({ acceptPkce: false });
      try {
        const error = await startTestApp({ ...PRODUCTION, FC_ISSUER: fc.issuer, FC_PKCE: 'true' }).catch((e: unknown) => e);
        expect((error as Error).name).toBe('FranceConnectStartupError');
        expect((error as Error).message).toContain('FC_PKCE=true but the issuer does not announce S256 PKCE');
      } finally {
        await fc.close();
      }
    });

    it('starts when FranceConnect answers as configured, and keeps answering /health when it goes away', async () => {
      const fc = await simulator();
      const t = await startTestApp({ ...PRODUCTION, FC_ISSUER: fc.issuer });
      try {
        await fc.registerClient(simulatorClientFrom(t.config));
        expect(t.app.get(FranceConnectStatusService).startup!.ok).toBe(true);
        await fc.close();
        const res = await request(t.url).get('/health').expect(200);
        expect(res.body).toEqual({ status: 'ok', database: 'up', franceconnect: 'down' });
      } finally {
        await t.close();
      }
    });
  });
});
