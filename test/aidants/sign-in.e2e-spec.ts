import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { AidantsService } from '../../src/aidants/aidants.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, csrfOf, freshIp, postForm, seedAidant, seedStructure, signIn, totpAt, TEST_PASSWORD } from '../support/aidants.js';

const MINUTE = 60_000;
const GENERIC = 'Adresse électronique, mot de passe ou code à usage unique incorrect';

describe('aidant sign-in, sessions and CSRF', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let vesoul: string;
  let gray: string;
  let aidantId: string;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    aidantId = await seedAidant(t, { email: 'aidant@vesoul.test', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    await seedAidant(t, {
      email: 'deux@structures.test',
      memberships: [
        { structureId: vesoul, roles: ['aidant'] },
        { structureId: gray, roles: ['aidant', 'referent'] },
      ],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  /** Each sign-in consumes its time step: move on to the next one. */
  function nextStep() {
    clock.advance(30_000);
  }

  async function withAidants<T>(fn: (s: AidantsService, m: Parameters<Parameters<TransactionRunner['run']>[0]>[0]) => Promise<T>) {
    return t.app.get(TransactionRunner).run((m) => fn(t.app.get(AidantsService), m));
  }

  it('shows the sign-in form with its CSRF field and the three fields', async () => {
    const res = await request(t.url).get('/aidant/connexion').expect(200);
    expect(csrfOf(res.text)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const name of ['email', 'password', 'totp']) expect(res.text).toContain(`name="${name}"`);
    // Tablets show the digit pad only when the attribute reaches the page unescaped.
    const totp = /<input[^>]*name="totp"[^>]*>/.exec(res.text)?.[0] ?? '';
    expect(totp).toContain('inputmode="numeric"');
    expect(totp).toContain('maxlength="6"');
    expect(totp).not.toContain('&quot;');
    // The password is masked, and password managers may fill it (ASVS 6.2.6, 6.2.7).
    const password = /<input[^>]*name="password"[^>]*>/.exec(res.text)?.[0] ?? '';
    expect(password).toContain('type="password"');
    expect(password).toContain('autocomplete="current-password"');
    expect(res.text).not.toMatch(/autocomplete="off"|onpaste/);
  });

  it.each([
    ['missing', undefined],
    ['wrong', 'forged-token-forged-token-forged-token-1234'],
  ])('refuses a POST whose CSRF token is %s with a French 403 and changes nothing', async (_label, token) => {
    nextStep();
    const agent = browser(t);
    await agent.get('/aidant/connexion');
    const res = await agent
      .post('/aidant/connexion')
      .type('form')
      .send({ ...(token ? { _csrf: token } : {}), email: 'aidant@vesoul.test', password: TEST_PASSWORD, totp: totpAt(clock) })
      .expect(403);
    expect(res.text).toContain('Formulaire expiré');
    expect(res.text).toContain('jeton de sécurité manquant ou invalide');
    await agent.get('/aidant').expect(401);
  });

  it('signs in, rotates the session id, sets a safe cookie and shows the aidant space', async () => {
    nextStep();
    const agent = browser(t);
    const form = await agent.get('/aidant/connexion');
    const before = /procuration\.sid=([^;]+)/.exec(String(form.headers['set-cookie']))![1];
    const res = await agent
      .post('/aidant/connexion')
      .set('X-Forwarded-For', freshIp())
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: 'Aidant@Vesoul.test', password: TEST_PASSWORD, totp: totpAt(clock) })
      .expect(303);
    expect(res.headers.location).toBe('/aidant');
    const cookie = String(res.headers['set-cookie']);
    const after = /procuration\.sid=([^;]+)/.exec(cookie)![1];
    expect(after).not.toBe(before);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const home = await agent.get('/aidant').expect(200);
    expect(home.text).toContain('Médiathèque de Vesoul');
    expect(home.text).toContain('Se déconnecter');
    // The pre-sign-in session id gives nothing.
    await request(t.url).get('/aidant').set('Cookie', `procuration.sid=${before}`).expect(401);
  });

  it.each([
    ['an unknown email', 'personne@nulle-part.test', TEST_PASSWORD, 'ok'],
    ['a wrong password', 'aidant@vesoul.test', 'Mauvais-mot-de-passe', 'ok'],
    ['a wrong code', 'aidant@vesoul.test', TEST_PASSWORD, 'wrong'],
  ])('refuses %s with the same generic message', async (_label, email, password, code) => {
    nextStep();
    const agent = browser(t);
    const res = await signIn(agent, clock, email, {
      password,
      totp: code === 'ok' ? totpAt(clock) : String((Number(totpAt(clock)) + 1) % 1_000_000).padStart(6, '0'),
    });
    expect(res.status).toBe(401);
    expect(res.text).toContain(GENERIC);
    expect(res.text).toContain(`value="${email}"`);
    await agent.get('/aidant').expect(401);
  });

  it('refuses a replayed code', async () => {
    nextStep();
    const code = totpAt(clock);
    await signIn(browser(t), clock, 'aidant@vesoul.test', { totp: code }).then((r) => expect(r.status).toBe(303));
    const replay = await signIn(browser(t), clock, 'aidant@vesoul.test', { totp: code });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain(GENERIC);
  });

  it.each([
    ['a malformed email', { email: 'pas-une-adresse' }, 'email', 'adresse électronique valide'],
    ['an oversized email', { email: `${'a'.repeat(250)}@x.fr` }, 'email', 'au plus 254'],
    ['an oversized password', { password: 'x'.repeat(1025) }, 'password', 'au plus 1024'],
    ['a code with letters', { totp: '12ab56' }, 'totp', '6 chiffres'],
    ['a missing password', { password: '' }, 'password', 'Renseignez votre mot de passe'],
  ])('answers %s with 400 and a message bound to the field', async (_label, fields, field, message) => {
    const agent = browser(t);
    const form = await agent.get('/aidant/connexion');
    const res = await agent
      .post('/aidant/connexion')
      .set('X-Forwarded-For', freshIp())
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: 'aidant@vesoul.test', password: TEST_PASSWORD, totp: '123456', ...fields })
      .expect(400);
    expect(res.text).toContain(`id="${field}-error"`);
    expect(res.text).toContain(message);
    expect(res.text).toContain('fr-input-group--error');
  });

  it('answers API clients with a problem document', async () => {
    const agent = browser(t);
    const form = await agent.get('/aidant/connexion');
    const res = await agent
      .post('/aidant/connexion')
      .set('Accept', 'application/json')
      .set('X-Forwarded-For', freshIp())
      .send({ _csrf: csrfOf(form.text), email: 'pas-une-adresse', password: TEST_PASSWORD, totp: '123456' })
      .expect(400);
    expect(JSON.parse(res.text).errors.email).toContain('adresse électronique valide');
  });

  // A value that is not one text (repeated, or a number in JSON) is refused by the input guard
  // before the form is read: see test/security/input-guard.e2e-spec.ts.
  it.each([
    ['a repeated email field', 'form', ['a@b.fr', 'c@d.fr']],
    ['a number as email', 'json', 42],
  ])('answers %s with the input.refused problem', async (_label, type, email) => {
    const agent = browser(t);
    const form = await agent.get('/aidant/connexion');
    const res = await agent
      .post('/aidant/connexion')
      .set('Accept', 'application/json')
      .set('X-Forwarded-For', freshIp())
      .type(type)
      .send({ _csrf: csrfOf(form.text), email, password: TEST_PASSWORD, totp: '123456' })
      .expect(400);
    expect(JSON.parse(res.text)).toMatchObject({ type: 'urn:procuration:problem:input.refused' });
  });

  it('locks an account for 15 minutes after 5 failures, says until when, then lets the person in', async () => {
    nextStep();
    await seedAidant(t, { email: 'verrou@vesoul.test', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    for (let i = 1; i <= 4; i++) {
      const res = await signIn(browser(t), clock, 'verrou@vesoul.test', { password: 'Mauvais-mot-de-passe' });
      expect(res.status).toBe(401);
    }
    const fifth = await signIn(browser(t), clock, 'verrou@vesoul.test', { password: 'Mauvais-mot-de-passe' });
    expect(fifth.status).toBe(429);
    expect(fifth.text).toContain('bloquée pendant 15 minutes, jusqu’à 10:');
    const right = await signIn(browser(t), clock, 'verrou@vesoul.test');
    expect(right.status).toBe(429);
    clock.advance(14 * MINUTE);
    expect((await signIn(browser(t), clock, 'verrou@vesoul.test')).status).toBe(429);
    clock.advance(MINUTE + 30_000);
    expect((await signIn(browser(t), clock, 'verrou@vesoul.test')).status).toBe(303);
  });

  it('locks an address after 5 failures whatever the emails', async () => {
    nextStep();
    const ip = freshIp();
    for (let i = 1; i <= 5; i++) {
      const res = await signIn(browser(t), clock, `inconnu${i}@nulle-part.test`, { ip });
      expect(res.status).toBe(i < 5 ? 401 : 429);
    }
    expect((await signIn(browser(t), clock, 'aidant@vesoul.test', { ip })).status).toBe(429);
    expect((await signIn(browser(t), clock, 'aidant@vesoul.test')).status).toBe(303);
    clock.advance(16 * MINUTE);
  });

  it('ends a session after 30 minutes of inactivity', async () => {
    nextStep();
    const agent = browser(t);
    expect((await signIn(agent, clock, 'aidant@vesoul.test')).status).toBe(303);
    clock.advance(29 * MINUTE);
    await agent.get('/aidant').expect(200);
    clock.advance(31 * MINUTE);
    const res = await agent.get('/aidant').expect(401);
    expect(res.text).toContain('30 minutes d’inactivité');
    await agent.get('/aidant').expect(401);
  });

  it('ends a session 12 hours after sign-in even when active', async () => {
    nextStep();
    const agent = browser(t);
    expect((await signIn(agent, clock, 'aidant@vesoul.test')).status).toBe(303);
    for (let elapsed = 0; elapsed < 12 * 60 - 25; elapsed += 25) {
      clock.advance(25 * MINUTE);
      await agent.get('/aidant').expect(200);
    }
    clock.advance(25 * MINUTE);
    const res = await agent.get('/aidant').expect(401);
    expect(res.text).toContain('12 heures');
  });

  it('signs out: the session is destroyed and its id is worthless', async () => {
    nextStep();
    const agent = browser(t);
    const signed = await signIn(agent, clock, 'aidant@vesoul.test');
    const sid = /procuration\.sid=([^;]+)/.exec(String(signed.headers['set-cookie']))![1];
    const out = await postForm(agent, '/aidant', '/aidant/deconnexion', {});
    expect(out.status).toBe(200);
    expect(out.text).toContain('Vous êtes déconnecté');
    await agent.get('/aidant').expect(401);
    await request(t.url).get('/aidant').set('Cookie', `procuration.sid=${sid}`).expect(401);
  });

  it('cuts a live session on the next request once the habilitation is suspended', async () => {
    nextStep();
    const agent = browser(t);
    expect((await signIn(agent, clock, 'aidant@vesoul.test')).status).toBe(303);
    await agent.get('/aidant').expect(200);
    await withAidants((s, m) => s.changeHabilitation(m, aidantId, 'suspended', { type: 'operator', id: 'test' }));
    const res = await agent.get('/aidant').expect(403);
    expect(res.text).toContain('Votre accès a été suspendu ou retiré');
    await agent.get('/aidant').expect(401);
    nextStep();
    const again = await signIn(browser(t), clock, 'aidant@vesoul.test');
    expect(again.status).toBe(403);
    expect(again.text).toContain('habilitation n’est pas active');
    await withAidants((s, m) => s.changeHabilitation(m, aidantId, 'habilitated', { type: 'operator', id: 'test' }));
  });

  it('lets an aidant of two structures choose one, then switch', async () => {
    nextStep();
    const agent = browser(t);
    const res = await signIn(agent, clock, 'deux@structures.test');
    expect(res.headers.location).toBe('/aidant/structure');
    await agent.get('/aidant').expect(403);
    const choice = await agent.get('/aidant/structure').expect(200);
    expect(choice.text).toContain('France Services de Gray');
    await agent.post('/aidant/structure').type('form').send({ _csrf: csrfOf(choice.text), structure: gray }).expect(303);
    expect((await agent.get('/aidant').expect(200)).text).toContain('France Services de Gray');
    const other = await postForm(agent, '/aidant/structure', '/aidant/structure', { structure: '00000000-0000-4000-8000-000000000000' });
    expect(other.status).toBe(404);
    await postForm(agent, '/aidant/structure', '/aidant/structure', { structure: vesoul }).then((r) => expect(r.status).toBe(303));
    expect((await agent.get('/aidant').expect(200)).text).toContain('Médiathèque de Vesoul');
  });

  it('accepts a fresh code on the re-authentication page and refuses a replay', async () => {
    nextStep();
    const agent = browser(t);
    expect((await signIn(agent, clock, 'aidant@vesoul.test')).status).toBe(303);
    clock.advance(16 * MINUTE);
    const code = totpAt(clock);
    const ok = await postForm(agent, '/aidant/reauthentification?suite=/aidant', '/aidant/reauthentification', { totp: code, suite: '/aidant' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/aidant');
    const replay = await postForm(agent, '/aidant/reauthentification', '/aidant/reauthentification', { totp: code, suite: '//evil.example' });
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('déjà été utilisé');
  });

  it('writes the session back at most once a minute, and still ends it 30 minutes after the last write', async () => {
    nextStep();
    const agent = browser(t);
    const signedInAt = clock.nowMs();
    expect((await signIn(agent, clock, 'aidant@vesoul.test')).status).toBe(303);
    const lastSeenAt = async () => {
      const rows: { data: { aidant?: { signedInAt: number; lastSeenAt: number } } }[] = await t.app.get(DataSource).query(`SELECT data FROM http_sessions`);
      return rows.map((r) => r.data.aidant).find((a) => a?.signedInAt === signedInAt)?.lastSeenAt;
    };
    clock.advance(20_000);
    await agent.get('/aidant').expect(200);
    expect(await lastSeenAt()).toBe(signedInAt); // within the minute: no write
    clock.advance(50_000);
    await agent.get('/aidant').expect(200);
    expect(await lastSeenAt()).toBe(signedInAt + 70_000);
    clock.advance(30 * MINUTE + 1);
    await agent.get('/aidant').expect(401);
  });

  it('locks fresh codes for 15 minutes after 5 wrong ones, without ending the session', async () => {
    nextStep();
    const agent = browser(t);
    expect((await signIn(agent, clock, 'deux@structures.test')).status).toBe(303);
    await postForm(agent, '/aidant/structure', '/aidant/structure', { structure: vesoul });
    const wrong = String((Number(totpAt(clock)) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 1; i <= 5; i++) {
      const res = await postForm(agent, '/aidant/reauthentification', '/aidant/reauthentification', { totp: wrong, suite: '/aidant' });
      expect(res.status).toBe(i < 5 ? 400 : 429);
    }
    clock.advance(30_000);
    const locked = await postForm(agent, '/aidant/reauthentification', '/aidant/reauthentification', { totp: totpAt(clock), suite: '/aidant' });
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('bloquée pendant 15 minutes');
    await agent.get('/aidant').expect(200);
    clock.advance(15 * MINUTE);
    await agent.get('/aidant').expect(200);
    const ok = await postForm(agent, '/aidant/reauthentification', '/aidant/reauthentification', { totp: totpAt(clock), suite: '/aidant' });
    expect(ok.status).toBe(303);
  });
});

describe('session cookie behind https', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://procuration.example.fr', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is Secure, HttpOnly and SameSite=Lax, with the __Host- prefix', async () => {
    const res = await request(t.url)
      .get('/aidant/connexion')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'procuration.example.fr')
      .expect(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-procuration\.sid=s%3A/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
  });
});
