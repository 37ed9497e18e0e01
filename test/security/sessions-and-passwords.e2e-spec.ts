import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { AidantsService } from '../../src/aidants/aidants.service.js';
import { InvitationsService } from '../../src/aidants/invitations.service.js';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { PgSessionStore } from '../../src/sessions/pg-session-store.js';
import { browser, csrfOf, freshIp, journalOf, seedAidant, seedStructure, signIn, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const NEW_PASSWORD = 'Trois tartines de confiture';

/**
 * Finding 6 of the security review (ASVS 6.2.2, 6.2.4, 6.2.11, 7.4.3, 7.4.5,
 * 7.5.2): password change, the account's sessions listed and ended,
 * resets and suspensions ending every session, common passwords refused.
 */
describe('sessions and passwords', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let vesoul: string;
  let gray: string;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    await seedAidant(t, { email: 'referente@vesoul.test', givenName: 'Rose', familyName: 'Lambert', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
  });
  afterAll(async () => {
    await t.close();
  });

  /** Each sign-in or form with a code consumes its time step: move on to the next one. */
  function nextStep() {
    clock.advance(30_000);
  }

  let accounts = 0;
  async function newAidant(memberships = [{ structureId: vesoul, roles: ['aidant' as const] }]) {
    accounts += 1;
    const email = `aidant${accounts}@vesoul.test`;
    const id = await seedAidant(t, { email, givenName: 'Camille', familyName: 'Martin', memberships });
    return { id, email };
  }

  /** A browser signed in as this account, with its own user agent and address. */
  async function signedIn(email: string, userAgent = FIREFOX_WINDOWS, ip = freshIp()): Promise<TestAgent> {
    nextStep();
    const agent = browser(t).set('User-Agent', userAgent).set('X-Forwarded-For', ip);
    const res = await signIn(agent, clock, email, { ip });
    expect(res.status).toBe(303);
    return agent;
  }

  async function changePassword(agent: TestAgent, fields: Partial<Record<'current' | 'totp' | 'password' | 'confirmation', string>>) {
    const page = await agent.get('/aidant/mot-de-passe').expect(200);
    return agent
      .post('/aidant/mot-de-passe')
      .type('form')
      .send({ _csrf: csrfOf(page.text), current: TEST_PASSWORD, totp: totpAt(clock), password: NEW_PASSWORD, confirmation: NEW_PASSWORD, ...fields });
  }

  /** Rows of the sessions page: device, address, marker and the handle its "end" form posts. */
  function sessionRows(html: string) {
    return [...html.matchAll(/<tr>\s*<td>([\s\S]*?)<\/td>\s*<td>([^<]*)<\/td>[\s\S]*?<\/tr>/g)].map((m) => ({
      device: m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(),
      ip: m[2]!,
      current: m[1]!.includes('Cette session'),
      handle: /name="session" value="([0-9a-f]{64})"/.exec(m[0])?.[1] ?? null,
    }));
  }

  async function openSessionsOf(aidantId: string): Promise<number> {
    const [row] = await t.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM http_sessions WHERE aidant_id = $1 AND ended_at IS NULL`, [aidantId]);
    return row.n;
  }

  it('links the password and sessions pages from the signed-in aidant’s header', async () => {
    const { email } = await newAidant();
    const home = await (await signedIn(email)).get('/aidant').expect(200);
    expect(home.text).toContain('href="/aidant/mot-de-passe"');
    expect(home.text).toContain('href="/aidant/sessions"');
  });

  it.each([
    ['password1234', 'parmi les plus courants'],
    ['Marseille2026!!', 'mot de passe courant'],
    ['Camille-Martin-2026', 'ni votre nom'],
  ])('refuses the new password %j with a French reason, and changes nothing', async (password, reason) => {
    const { id, email } = await newAidant();
    const agent = await signedIn(email);
    nextStep();
    const res = await changePassword(agent, { password, confirmation: password });
    expect(res.status).toBe(400);
    expect(res.text).toContain(reason);
    expect(res.text).not.toContain(password);
    expect(await journalOf(t, 'aidant.password_changed').then((rows) => rows.filter((r) => r.aidant_id === id))).toHaveLength(0);
    await signedIn(email);
  });

  it('refuses a wrong current password or code, journals each failure and locks after five', async () => {
    const { id, email } = await newAidant();
    const agent = await signedIn(email);
    nextStep();
    const wrongCode = await changePassword(agent, { totp: String((Number(totpAt(clock)) + 1) % 1_000_000).padStart(6, '0') });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.text).toContain('Code à usage unique incorrect');
    for (let i = 0; i < 3; i++) {
      const res = await changePassword(agent, { current: 'Pas-le-bon-mot-de-passe' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Mot de passe actuel incorrect');
    }
    const fifth = await changePassword(agent, { current: 'Pas-le-bon-mot-de-passe' });
    expect(fifth.status).toBe(429);
    expect(fifth.text).toContain('le changement de mot de passe est bloqué');
    // Locked: even the right password and code are refused now.
    nextStep();
    expect((await changePassword(agent, {})).status).toBe(429);
    const failures = (await journalOf(t, 'aidant.password_change_failed')).filter((r) => r.aidant_id === id);
    expect(failures.map((r) => r.details.reason)).toEqual(['bad_totp', 'bad_password', 'bad_password', 'bad_password', 'bad_password']);
    const locks = (await journalOf(t, 'aidant.locked')).filter((r) => r.aidant_id === id);
    expect(locks.map((r) => r.details.scope)).toEqual(['password_change']);
    await signedIn(email);
  });

  it('changes the password with the current one and a code, ends the other sessions and keeps this one under a new id', async () => {
    const { id, email } = await newAidant();
    const here = await signedIn(email);
    const elsewhere = await signedIn(email, SAFARI_IPHONE);
    expect(await openSessionsOf(id)).toBe(2);
    nextStep();
    const oldCookie = await cookieOf(here);
    const res = await changePassword(here, {});
    expect(res.status).toBe(200);
    expect(res.text).toContain('Votre mot de passe a été changé');
    expect(await cookieOf(here)).not.toBe(oldCookie);

    await here.get('/aidant').expect(200);
    expect((await elsewhere.get('/aidant').expect(401)).text).toContain('Votre mot de passe a été changé depuis une autre session');
    // Told once: then an ordinary anonymous browser.
    expect((await elsewhere.get('/aidant').expect(401)).text).toContain('Connectez-vous');
    expect(await openSessionsOf(id)).toBe(1);
    nextStep();
    expect((await signIn(browser(t), clock, email)).status).toBe(401);
    nextStep();
    expect((await signIn(browser(t), clock, email, { password: NEW_PASSWORD })).status).toBe(303);
    const changed = (await journalOf(t, 'aidant.password_changed')).filter((r) => r.aidant_id === id);
    expect(changed).toEqual([expect.objectContaining({ chain: vesoul, actor_type: 'aidant', details: { otherSessionsEnded: 1 } })]);
  });

  it('lists the account’s sessions with device, address, last use and this session, and ends one, then all others', async () => {
    const { id, email } = await newAidant();
    const here = await signedIn(email, FIREFOX_WINDOWS, '10.9.0.1');
    const phone = await signedIn(email, SAFARI_IPHONE, '10.9.0.2');
    const other = await signedIn(email, CHROME_LINUX, '10.9.0.3');
    const anotherAccount = await signedIn((await newAidant()).email);

    const page = await here.get('/aidant/sessions').expect(200);
    expect(page.headers['cache-control']).toContain('no-store');
    const rows = sessionRows(page.text);
    expect(rows.map((r) => [r.device.replace(' Cette session', ''), r.ip, r.current]).sort()).toEqual(
      [
        ['Chrome sur Linux', '10.9.0.3', false],
        ['Firefox sur Windows', '10.9.0.1', true],
        ['Safari sur iOS', '10.9.0.2', false],
      ].sort(),
    );
    expect(rows[0]!.current).toBe(true);
    // Last use as a French reader writes it, in Paris time ("3 décembre 2026 à 17:15").
    expect(page.text).toMatch(/\d{1,2}(er)? (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4} à \d{2}:\d{2}/);
    // The session ids themselves never appear: only their handles.
    expect(page.text).not.toContain(decodeURIComponent(await cookieOf(phone)).slice(2).split('.')[0]!);

    const phoneHandle = rows.find((r) => r.device.startsWith('Safari'))!.handle!;
    // Without the CSRF token: refused, nothing ended.
    await here.post('/aidant/sessions/terminer').type('form').send({ session: phoneHandle }).expect(403);
    await phone.get('/aidant').expect(200);
    // Another account cannot end it (same answer as an unknown session).
    const foreign = await anotherAccount.get('/aidant/sessions');
    await anotherAccount.post('/aidant/sessions/terminer').type('form').send({ _csrf: csrfOf(foreign.text), session: phoneHandle }).expect(404);
    await phone.get('/aidant').expect(200);

    const ended = await here.post('/aidant/sessions/terminer').type('form').send({ _csrf: csrfOf(page.text), session: phoneHandle });
    expect(ended.status).toBe(303);
    expect(ended.headers.location).toBe('/aidant/sessions?terminees=1');
    expect((await phone.get('/aidant').expect(401)).text).toContain('Cette session a été terminée depuis une autre de vos sessions');
    await other.get('/aidant').expect(200);
    const again = await here.post('/aidant/sessions/terminer').type('form').send({ _csrf: csrfOf(page.text), session: phoneHandle });
    expect(again.status).toBe(404);
    expect(again.text).toContain('Cette session n’existe pas ou est déjà terminée');

    const after = await here.get('/aidant/sessions?terminees=1').expect(200);
    expect(after.text).toContain('1 session a été terminée');
    expect(sessionRows(after.text)).toHaveLength(2);
    const all = await here.post('/aidant/sessions/terminer-les-autres').type('form').send({ _csrf: csrfOf(after.text) });
    expect(all.status).toBe(303);
    await other.get('/aidant').expect(401);
    await here.get('/aidant').expect(200);
    await anotherAccount.get('/aidant').expect(200);
    expect(sessionRows((await here.get('/aidant/sessions')).text)).toHaveLength(1);

    const journal = (await journalOf(t, 'aidant.sessions_ended')).filter((r) => r.aidant_id === id);
    expect(journal.map((r) => r.details)).toEqual([
      { scope: 'one', count: 1, reason: 'aidant' },
      { scope: 'others', count: 1, reason: 'aidant' },
    ]);
  });

  it('asks for a fresh code (within 15 minutes) before ending sessions', async () => {
    const { email } = await newAidant();
    const here = await signedIn(email);
    const other = await signedIn(email, CHROME_LINUX);
    clock.advance(16 * 60_000);
    const page = await here.get('/aidant/sessions').expect(200);
    const stale = await here.post('/aidant/sessions/terminer-les-autres').type('form').send({ _csrf: csrfOf(page.text) });
    expect(stale.status).toBe(403);
    expect(stale.text).toContain('saisissez un nouveau code à usage unique');
    await other.get('/aidant').expect(200);
    nextStep();
    const reauth = await here.get('/aidant/reauthentification?suite=/aidant/sessions').expect(200);
    await here.post('/aidant/reauthentification').type('form').send({ _csrf: csrfOf(reauth.text), totp: totpAt(clock), suite: '/aidant/sessions' }).expect(303);
    await here.post('/aidant/sessions/terminer-les-autres').type('form').send({ _csrf: csrfOf(page.text) }).expect(303);
    await other.get('/aidant').expect(401);
  });

  it('ends every session of the account when an operator resets its password', async () => {
    const { id, email } = await newAidant();
    const one = await signedIn(email);
    const two = await signedIn(email, SAFARI_IPHONE);
    await t.app.get(TransactionRunner).run((m) => t.app.get(InvitationsService).resetPassword(m, email, { type: 'operator', id: 'test' }));
    expect((await one.get('/aidant').expect(401)).text).toContain('Votre mot de passe a été réinitialisé');
    await two.get('/aidant').expect(401);
    expect(await openSessionsOf(id)).toBe(0);
    const journal = (await journalOf(t, 'aidant.sessions_ended')).filter((r) => r.aidant_id === id);
    expect(journal).toEqual([expect.objectContaining({ actor_type: 'operator', details: { scope: 'all', count: 2, reason: 'password_reset' } })]);
  });

  it('ends every session of the account when a référent suspends it, in its other structures too', async () => {
    const { id, email } = await newAidant([
      { structureId: vesoul, roles: ['aidant'] },
      { structureId: gray, roles: ['aidant'] },
    ]);
    const atGray = await signedIn(email);
    const choice = await atGray.get('/aidant/structure').expect(200);
    await atGray.post('/aidant/structure').type('form').send({ _csrf: csrfOf(choice.text), structure: gray }).expect(303);
    await atGray.get('/aidant').expect(200);

    const referente = await signedIn('referente@vesoul.test');
    const list = await referente.get('/structure/aidants').expect(200);
    await referente.post(`/structure/aidants/${id}/suspension`).type('form').send({ _csrf: csrfOf(list.text) }).expect(303);

    expect((await atGray.get('/aidant').expect(403)).text).toContain('Votre accès a été suspendu ou retiré');
    await atGray.get('/aidant').expect(401);
    expect(await openSessionsOf(id)).toBe(0);
    const journal = (await journalOf(t, 'aidant.sessions_ended')).filter((r) => r.aidant_id === id);
    expect(journal).toEqual([expect.objectContaining({ chain: vesoul, details: { scope: 'all', count: 1, reason: 'suspended' } })]);
  });

  it('ends every session of the account when an operator suspends its habilitation', async () => {
    const { id, email } = await newAidant();
    await signedIn(email);
    await signedIn(email, CHROME_LINUX);
    await t.app.get(TransactionRunner).run((m) => t.app.get(AidantsService).changeHabilitation(m, id, 'suspended', { type: 'operator', id: 'test' }));
    expect(await openSessionsOf(id)).toBe(0);
    const journal = (await journalOf(t, 'aidant.sessions_ended')).filter((r) => r.aidant_id === id);
    expect(journal.map((r) => r.details)).toEqual([{ scope: 'all', count: 2, reason: 'habilitation_changed' }]);
  });

  it('does not bring an ended session back when a request of it still in flight saves it', async () => {
    const { id, email } = await newAidant();
    const agent = await signedIn(email);
    const [row] = await t.app.get(DataSource).query(`SELECT sid, data FROM http_sessions WHERE aidant_id = $1`, [id]);
    await t.app.get(TransactionRunner).run((m) => t.app.get(AidantsService).endAllSessions(m, id, 'suspended', { type: 'operator', id: 'test' }, [vesoul]));
    // What express-session does at the end of a request that read the session before it was ended.
    const store = new PgSessionStore(t.app.get(DataSource), clock);
    await new Promise<void>((resolve, reject) => store.set(row.sid, row.data, (error) => (error ? reject(error) : resolve())));
    const read = await new Promise((resolve, reject) => store.get(row.sid, (error, data) => (error ? reject(error) : resolve(data))));
    // Still ended: it holds nothing but why it was ended.
    expect(read).toEqual({ cookie: expect.anything(), endedReason: 'suspended' });
    await agent.get('/aidant').expect(403);
    expect(await openSessionsOf(id)).toBe(0);
  });
});

/** The session cookie a browser holds (supertest's jar). */
async function cookieOf(agent: TestAgent): Promise<string> {
  const { CookieAccessInfo } = await import('cookiejar');
  const jar = (agent as unknown as { jar: { getCookies(access: unknown): { name: string; value: string }[] } }).jar;
  const value = jar.getCookies(CookieAccessInfo.All).find((c) => c.name === 'procuration.sid')?.value;
  if (!value) throw new Error('no session cookie in the browser');
  return value;
}
