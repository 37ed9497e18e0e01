import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { MAX_FAILURES, throttleKeys } from '../../src/aidants/sign-in-throttles.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, csrfOf, freshIp, journalOf, seedAidant, seedStructure, TEST_PASSWORD, totpAt } from '../support/aidants.js';

const PARALLEL = 50;
const WRONG = 'Mauvais-mot-de-passe';

/**
 * ASVS 6.3.1: the lockout holds against attempts sent at the same moment.
 * Each attempt's form (and CSRF token) is fetched first, then every POST
 * leaves at once, from one address, against one account.
 */
describe('sign-in throttle under parallel attempts', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let structureId: string;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    structureId = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
  });
  afterAll(async () => {
    await t.close();
  });

  /** A browser with its sign-in form open, ready to post. */
  async function readyToPost() {
    const agent = browser(t);
    const form = await agent.get('/aidant/connexion').expect(200);
    // `.then` sends the request now (supertest sends only when awaited).
    return (email: string, ip: string, password: string, totp: string) =>
      agent
        .post('/aidant/connexion')
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ _csrf: csrfOf(form.text), email, password, totp })
        .then((res) => res);
  }

  async function throttleRow(key: string): Promise<{ failures: number; locked_until: Date | null } | undefined> {
    const rows = await t.app.get(DataSource).query(`SELECT failures, locked_until FROM sign_in_throttles WHERE key = $1`, [key]);
    return rows[0];
  }

  /** Polls until the key has counted an attempt. */
  async function counted(key: string): Promise<void> {
    for (let i = 0; i < 5000; i++) {
      if (((await throttleRow(key))?.failures ?? 0) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    throw new Error('no attempt counted');
  }

  function tally(statuses: number[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    return counts;
  }

  it(`lets at most ${MAX_FAILURES} of ${PARALLEL} simultaneous wrong passwords be checked, counts and journals every one, never 500`, async () => {
    const email = 'course@vesoul.test';
    const aidantId = await seedAidant(t, { email, memberships: [{ structureId, roles: ['aidant'] }] });
    const ip = freshIp();
    const posts = await Promise.all(Array.from({ length: PARALLEL }, () => readyToPost()));
    const statuses = (await Promise.all(posts.map((post) => post(email, ip, WRONG, totpAt(clock))))).map((r) => r.status);
    const counts = tally(statuses);

    // Which of the checked attempts hears 401 rather than 429 depends on
    // whether the lock had started when it finished: at most the first four.
    expect(counts[500]).toBeUndefined();
    expect(counts[401] ?? 0).toBeLessThanOrEqual(MAX_FAILURES - 1);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(PARALLEL);

    const failed = (await journalOf(t, 'aidant.sign_in_failed')).filter((e) => e.aidant_id === aidantId);
    expect(failed).toHaveLength(PARALLEL);
    const reasons = tally(failed.map((e) => e.details.reason as unknown as number));
    expect(reasons).toEqual({ bad_password: MAX_FAILURES, locked: PARALLEL - MAX_FAILURES });
    const locks = (await journalOf(t, 'aidant.locked')).filter((e) => e.aidant_id === aidantId);
    expect(locks.map((e) => e.details.scope).sort()).toEqual(['account', 'ip']);

    const keys = throttleKeys(email, ip);
    for (const key of [keys.account, keys.ip]) {
      const row = await throttleRow(key);
      expect(row?.failures).toBe(PARALLEL);
      expect(new Date(row!.locked_until!).getTime()).toBe(clock.nowMs() + 15 * 60_000);
    }
  });

  it('refuses the right password and code sent just after simultaneous wrong ones', async () => {
    clock.advance(30_000);
    const email = 'course2@vesoul.test';
    const aidantId = await seedAidant(t, { email, memberships: [{ structureId, roles: ['aidant'] }] });
    const wrongIp = freshIp();
    const posts = await Promise.all(Array.from({ length: PARALLEL - 1 }, () => readyToPost()));
    const last = await readyToPost();
    const wrong = posts.map((post) => post(email, wrongIp, WRONG, totpAt(clock)));
    // As soon as one of them is counted, the right password and code, from
    // another address (only the account's lock stands in the way).
    await counted(throttleKeys(email, wrongIp).account);
    const right = await last(email, freshIp(), TEST_PASSWORD, totpAt(clock));
    const statuses = (await Promise.all(wrong)).map((r) => r.status);

    expect({ right: right.status, wrong500: tally(statuses)[500] ?? 0 }).toEqual({ right: 429, wrong500: 0 });
    expect(right.text).toContain('la connexion est bloquée pendant 15 minutes');
    expect(await journalOf(t, 'aidant.signed_in').then((es) => es.filter((e) => e.aidant_id === aidantId))).toHaveLength(0);
    const failed = (await journalOf(t, 'aidant.sign_in_failed')).filter((e) => e.aidant_id === aidantId);
    expect(failed).toHaveLength(PARALLEL);
  });

  it('counts simultaneous wrong fresh codes (re-authentication) the same way: at most five checked, never 500', async () => {
    clock.advance(30_000);
    const email = 'course3@vesoul.test';
    const aidantId = await seedAidant(t, { email, memberships: [{ structureId, roles: ['aidant'] }] });
    const agent = browser(t);
    const form = await agent.get('/aidant/connexion');
    const signed = await agent
      .post('/aidant/connexion')
      .set('X-Forwarded-For', freshIp())
      .type('form')
      .send({ _csrf: csrfOf(form.text), email, password: TEST_PASSWORD, totp: totpAt(clock) });
    expect(signed.status).toBe(303);
    const page = await agent.get('/aidant/reauthentification').expect(200);
    const wrongCode = String((Number(totpAt(clock)) + 500_000) % 1_000_000).padStart(6, '0');
    const statuses = (
      await Promise.all(
        Array.from({ length: 20 }, () =>
          agent.post('/aidant/reauthentification').type('form').send({ _csrf: csrfOf(page.text), totp: wrongCode }).then((r) => r.status),
        ),
      )
    );
    expect(statuses.filter((s) => s !== 400 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(MAX_FAILURES - 1);
    const failed = (await journalOf(t, 'aidant.totp_reauthentication_failed')).filter((e) => e.aidant_id === aidantId);
    expect(tally(failed.map((e) => e.details.reason as unknown as number))).toEqual({ bad_totp: MAX_FAILURES, locked: 20 - MAX_FAILURES });
    expect((await throttleRow(`totp:${aidantId}`))?.locked_until).not.toBeNull();
  });
});
