import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TotpDevicesService } from '../../src/aidants/totp-devices.service.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, csrfOf, mailedLink, postForm, seedAidant, seedStructure, signIn, totpAt } from '../support/aidants.js';

const CARD_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('référent pages /structure/aidants', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let vesoul: string;
  let karim: string;
  let thomas: string;
  let referente: ReturnType<typeof browser>;

  async function signedIn(email: string) {
    clock.advance(30_000);
    const agent = browser(t);
    expect((await signIn(agent, clock, email)).status).toBe(303);
    return agent;
  }

  async function query(sql: string, params: unknown[] = []) {
    return t.app.get(DataSource).query(sql, params);
  }

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    const gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    await seedAidant(t, { email: 'referente@vesoul.test', givenName: 'Hélène', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    karim = await seedAidant(t, { email: 'karim@vesoul.test', givenName: 'Karim', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    thomas = await seedAidant(t, { email: 'thomas@gray.test', givenName: 'Thomas', memberships: [{ structureId: gray, roles: ['aidant', 'referent'] }] });
    referente = await signedIn('referente@vesoul.test');
  });
  afterAll(async () => {
    await t.close();
  });

  it('is refused to visitors (401) and to aidants who are not référents (403)', async () => {
    await browser(t).get('/structure/aidants').expect(401);
    const aidant = await signedIn('karim@vesoul.test');
    const res = await aidant.get('/structure/aidants').expect(403);
    expect(res.text).toContain('réservée aux référents');
  });

  it('lists the structure’s aidants only, with status and last activity', async () => {
    const res = await referente.get('/structure/aidants').expect(200);
    expect(res.text).toContain('karim@vesoul.test');
    expect(res.text).toContain('Habilité');
    expect(res.text).not.toContain('thomas@gray.test');
  });

  it.each([
    ['suspension', () => thomas],
    ['referent', () => thomas],
    ['suspension', () => '00000000-0000-4000-8000-000000000000'],
    ['suspension', () => 'pas-un-uuid'],
  ])('answers 404 for %s of an aidant outside the structure, and changes nothing', async (action, id) => {
    const res = await postForm(referente, '/structure/aidants', `/structure/aidants/${id()}/${action}`, {});
    expect(res.status).toBe(404);
    expect(await query(`SELECT roles, suspended_at FROM memberships WHERE aidant_id = $1`, [thomas])).toEqual([
      { roles: ['aidant', 'referent'], suspended_at: null },
    ]);
  });

  it('refuses a suspension without CSRF token and changes nothing', async () => {
    await referente.post(`/structure/aidants/${karim}/suspension`).type('form').send({}).expect(403);
    expect(await query(`SELECT suspended_at FROM memberships WHERE aidant_id = $1`, [karim])).toEqual([{ suspended_at: null }]);
  });

  it('suspends an aidant, whose live session ends on the next request, then reactivates them', async () => {
    const aidant = await signedIn('karim@vesoul.test');
    await aidant.get('/aidant').expect(200);
    const res = await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/suspension`, {});
    expect(res.status).toBe(303);
    expect((await aidant.get('/aidant').expect(403)).text).toContain('suspendu');
    clock.advance(30_000);
    expect((await signIn(browser(t), clock, 'karim@vesoul.test')).status).toBe(403);
    expect((await referente.get('/structure/aidants')).text).toContain('suspendu dans la structure');
    await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/reactivation`, {}).then((r) => expect(r.status).toBe(303));
    await signedIn('karim@vesoul.test');
  });

  it('grants and withdraws the référent role', async () => {
    await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/referent`, {}).then((r) => expect(r.status).toBe(303));
    expect(await query(`SELECT roles FROM memberships WHERE aidant_id = $1`, [karim])).toEqual([{ roles: ['aidant', 'referent'] }]);
    const karimAgent = await signedIn('karim@vesoul.test');
    await karimAgent.get('/structure/aidants').expect(200);
    await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/referent/retrait`, {}).then((r) => expect(r.status).toBe(303));
    await karimAgent.get('/structure/aidants').expect(403);
  });

  it.each([
    [{ email: 'pas-une-adresse', givenName: 'A', familyName: 'B', roles: 'aidant' }, 'email', 'adresse électronique valide'],
    [{ email: 'a@b.fr', givenName: '', familyName: 'B', roles: 'aidant' }, 'givenName', 'Renseignez le prénom'],
    [{ email: 'a@b.fr', givenName: 'A', familyName: 'x'.repeat(101), roles: 'aidant' }, 'familyName', 'au plus 100'],
    [{ email: 'a@b.fr', givenName: 'A', familyName: 'B' }, 'roles', 'au moins un rôle'],
  ])('re-renders the invitation form with the error bound to the field (%j)', async (fields, field, message) => {
    const res = await postForm(referente, '/structure/aidants', '/structure/aidants/invitation', fields);
    expect(res.status).toBe(400);
    expect(res.text).toContain(`id="${field}-error"`);
    expect(res.text).toContain(message);
    expect(res.text).toContain('karim@vesoul.test');
  });

  it('invites an aidant: the one-time link goes by mail, not on screen', async () => {
    const res = await postForm(referente, '/structure/aidants', '/structure/aidants/invitation', {
      email: 'Nouvel.Aidant@Vesoul.test',
      givenName: 'Noé',
      familyName: 'Vidal',
      roles: ['aidant'],
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Une invitation a été envoyée par courriel à <strong>nouvel.aidant@vesoul.test</strong>');
    expect(res.text).not.toContain('jeton=');
    await browser(t).get(await mailedLink(t, 'nouvel.aidant@vesoul.test', 'invitation')).expect(200);
    expect((await referente.get('/structure/aidants')).text).toContain('nouvel.aidant@vesoul.test');
  });

  it('registers a TOTP card for an aidant of the structure only, with a code read on it', async () => {
    await t.app.get(TransactionRunner).run((m) =>
      t.app.get(TotpDevicesService).registerCard(m, { serial: 'GA-42', seed: CARD_SEED, step: 30 }, { type: 'operator', id: 'alice' }),
    );
    const wrong = await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/carte`, { serial: 'GA-42', totp: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain(`id="card-totp-${karim}-error"`);
    const other = await postForm(referente, '/structure/aidants', `/structure/aidants/${thomas}/carte`, { serial: 'GA-42', totp: totpAt(clock, CARD_SEED) });
    expect(other.status).toBe(404);
    const ok = await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/carte`, { serial: 'GA-42', totp: totpAt(clock, CARD_SEED) });
    expect(ok.status).toBe(303);
    expect((await referente.get('/structure/aidants')).text).toContain('carte GA-42 (30 s)');
    clock.advance(30_000);
    expect((await signIn(browser(t), clock, 'karim@vesoul.test', { totp: totpAt(clock, CARD_SEED) })).status).toBe(303);
  });

  it('re-synchronises the card of an aidant of the structure from two consecutive codes', async () => {
    const ahead = new ManualClock(new Date(clock.nowMs() + 40 * 30_000));
    const first = totpAt(ahead, CARD_SEED);
    ahead.advance(30_000);
    clock.advance(30_000);
    const second = totpAt(ahead, CARD_SEED);
    const path = `/structure/aidants/${karim}/carte/resynchronisation`;
    const other = await postForm(referente, '/structure/aidants', `/structure/aidants/${thomas}/carte/resynchronisation`, { serial: 'GA-42', totp: first, totp2: second });
    expect(other.status).toBe(404);
    const notConsecutive = await postForm(referente, '/structure/aidants', path, { serial: 'GA-42', totp: second, totp2: first });
    expect(notConsecutive.status).toBe(400);
    expect(notConsecutive.text).toContain(`id="resync-totp-${karim}-error"`);
    const ok = await postForm(referente, '/structure/aidants', path, { serial: 'GA-42', totp: first, totp2: second });
    expect(ok.status).toBe(303);
    clock.advance(30_000);
    ahead.advance(30_000);
    expect((await signIn(browser(t), clock, 'karim@vesoul.test', { totp: totpAt(ahead, CARD_SEED) })).status).toBe(303);
  });

  it('restricts the structure’s démarches, and refuses an empty or unknown choice', async () => {
    const ok = await postForm(referente, '/structure/aidants', '/structure/demarches', { demarches: ['logement', 'papiers'] });
    expect(ok.status).toBe(303);
    expect(await query(`SELECT allowed_demarches FROM structures WHERE id = $1`, [vesoul])).toEqual([
      { allowed_demarches: ['papiers', 'logement'] },
    ]);
    for (const demarches of [[], ['casino']]) {
      const page = await referente.get('/structure/aidants');
      const res = await referente.post('/structure/demarches').type('form').send({ _csrf: csrfOf(page.text), demarches });
      expect(res.status).toBe(400);
      expect(res.text).toContain('id="demarches-error"');
    }
    expect(await query(`SELECT allowed_demarches FROM structures WHERE id = $1`, [vesoul])).toEqual([
      { allowed_demarches: ['papiers', 'logement'] },
    ]);
  });
});
