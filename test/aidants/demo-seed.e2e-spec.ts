import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, demoCredentialsText, runDemoSeed } from '../../src/seed/demo-seed.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, signIn, totpAt } from '../support/aidants.js';

describe('demo seed', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is off in test runs by default', () => {
    expect(t.config.demoSeed).toBe(false);
  });

  it('creates two structures and four accounts, then nothing on a second run', async () => {
    expect(await runDemoSeed(t.app, 'development')).toEqual({ created: 6 });
    expect(await runDemoSeed(t.app, 'development')).toEqual({ created: 0 });
    const structures = await t.app.get(DataSource).query(`SELECT name, siret FROM structures ORDER BY siret`);
    expect(structures).toEqual([
      { name: 'France Services de Gray', siret: '21700294000013' },
      { name: 'Médiathèque de Vesoul', siret: '21700550300016' },
    ]);
  });

  it.each(['referente@demo.procuration.test', 'aidant@demo.procuration.test', 'aidante@demo.procuration.test', 'aidant@gray.procuration.test'])(
    'lets %s sign in with the published password and TOTP secret',
    async (email) => {
      clock.advance(30_000);
      const res = await signIn(browser(t), clock, email, { password: DEMO_PASSWORD, totp: totpAt(clock, DEMO_TOTP_SECRET) });
      expect(res.status).toBe(303);
    },
  );

  it('refuses to run in production', async () => {
    await expect(runDemoSeed(t.app, 'production')).rejects.toThrow('never runs in production');
  });

  it('prints every demo account with the password and the secret', () => {
    const text = demoCredentialsText('http://localhost:3000');
    for (const s of ['referente@demo.procuration.test', 'aidant@gray.procuration.test', DEMO_PASSWORD, DEMO_TOTP_SECRET]) {
      expect(text).toContain(s);
    }
  });
});
