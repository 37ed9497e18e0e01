import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TotpDevicesService } from '../../src/aidants/totp-devices.service.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { browser, csrfOf, journalOf, mailedLink, postForm, seedAidant, seedStructure, signIn, totpAt } from '../support/aidants.js';

const CARD_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/**
 * ASVS 8.4.1 / 8.2: a référent cannot take another structure's aidant into
 * their own structure, nor change its second factors, without the account
 * owner's consent; and their page does not tell which emails have accounts.
 */
describe('inviting an email that already has an account needs its owner’s consent', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let vesoul: string;
  let gray: string;
  let thomas: string;
  let lea: string;
  let referente: ReturnType<typeof browser>;

  async function signedIn(email: string) {
    clock.advance(30_000);
    const agent = browser(t);
    expect((await signIn(agent, clock, email)).status).toBe(303);
    return agent;
  }

  async function membershipsIn(structureId: string, aidantId: string): Promise<{ roles: string[] }[]> {
    return t.app.get(DataSource).query(`SELECT roles FROM memberships WHERE structure_id = $1 AND aidant_id = $2`, [structureId, aidantId]);
  }

  function invite(email: string, givenName: string) {
    return postForm(referente, '/structure/aidants', '/structure/aidants/invitation', { email, givenName, familyName: 'Durand', roles: 'aidant' });
  }

  /** The page as the référent reads it, with what naturally differs (email, form token) taken out. */
  function normalised(html: string, email: string): string {
    return html.split(email).join('<email>').replace(/name="_csrf" value="[^"]+"/g, '').replace(/content="[A-Za-z0-9_-]{43}"/g, '');
  }

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    await seedAidant(t, { email: 'helene@vesoul.test', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    await seedAidant(t, { email: 'karim@vesoul.test', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    thomas = await seedAidant(t, { email: 'thomas@gray.test', givenName: 'Thomas', memberships: [{ structureId: gray, roles: ['aidant'] }] });
    lea = await seedAidant(t, { email: 'lea@gray.test', givenName: 'Léa', memberships: [{ structureId: gray, roles: ['aidant'] }] });
    await t.app.get(TransactionRunner).run((m) =>
      t.app.get(TotpDevicesService).registerCard(m, { serial: 'VS-7', seed: CARD_SEED, step: 30 }, { type: 'operator', id: 'alice' }),
    );
    referente = await signedIn('helene@vesoul.test');
  });
  afterAll(async () => {
    await t.close();
  });

  it('gives the référent the same answer for an existing account and a new email', async () => {
    const existing = await invite('thomas@gray.test', 'Thomas');
    const fresh = await invite('nouveau@vesoul.test', 'Nouveau');
    expect([existing.status, fresh.status]).toEqual([200, 200]);
    expect(normalised(existing.text, 'thomas@gray.test')).toBe(normalised(fresh.text, 'nouveau@vesoul.test'));
  });

  it('adds nothing to the existing account until its owner accepts', async () => {
    expect(await membershipsIn(vesoul, thomas)).toEqual([]);
    expect((await referente.get('/structure/aidants')).text).not.toContain('thomas@gray.test');
  });

  it.each([
    ['assign a card', 'carte', () => ({ serial: 'VS-7', totp: totpAt(clock, CARD_SEED) })],
    ['re-synchronise a card', 'carte/resynchronisation', () => ({ serial: 'VS-7', totp: '123456', totp2: '234567' })],
    ['suspend', 'suspension', () => ({})],
    ['grant the référent role', 'referent', () => ({})],
  ])('refuses to %s for an account that has not accepted (404), changing nothing', async (_label, action, fields) => {
    const res = await postForm(referente, '/structure/aidants', `/structure/aidants/${thomas}/${action}`, fields());
    expect(res.status).toBe(404);
    const devices = await t.app.get(DataSource).query(`SELECT kind FROM totp_devices WHERE aidant_id = $1 ORDER BY kind`, [thomas]);
    expect(devices).toEqual([{ kind: 'app' }]);
    expect(await membershipsIn(vesoul, thomas)).toEqual([]);
  });

  it('mails the owner a link that only they, signed in, can open', async () => {
    const link = await mailedLink(t, 'thomas@gray.test', 'rejoindre');
    await browser(t).get(link).expect(401);
    const karim = await signedIn('karim@vesoul.test');
    const other = await karim.get(link).expect(404);
    expect(other.text).toContain('ne vous est pas destinée');
    const owner = await signedIn('thomas@gray.test');
    const page = await owner.get(link).expect(200);
    expect(page.text).toContain('Médiathèque de Vesoul');
    expect(page.text).toContain('Accepter');
    expect(page.text).toContain('Refuser');
    // Someone else's token posted by another aidant changes nothing.
    const token = link.split('jeton=')[1]!;
    const forged = await karim.post('/aidant/rejoindre').type('form').send({ _csrf: csrfOf((await karim.get('/aidant/structure')).text), jeton: token, reponse: 'accepter' });
    expect(forged.status).toBe(404);
    expect(await membershipsIn(vesoul, thomas)).toEqual([]);
  });

  it('joins the structure when the owner accepts, journaled in the structure’s chain; the link then stops working', async () => {
    const link = await mailedLink(t, 'thomas@gray.test', 'rejoindre');
    const owner = await signedIn('thomas@gray.test');
    const page = await owner.get(link).expect(200);
    const res = await owner.post('/aidant/rejoindre').type('form').send({ _csrf: csrfOf(page.text), jeton: link.split('jeton=')[1], reponse: 'accepter' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Vous faites maintenant partie de la structure');
    expect(await membershipsIn(vesoul, thomas)).toEqual([{ roles: ['aidant'] }]);
    const accepted = (await journalOf(t, 'aidant.membership_accepted')).filter((e) => e.aidant_id === thomas);
    expect(accepted).toEqual([expect.objectContaining({ chain: vesoul, actor_type: 'aidant', actor_id: thomas, details: expect.objectContaining({ roles: ['aidant'] }) })]);
    await owner.get(link).expect(410);
  });

  it('lets the référent manage the card of the membership the owner accepted', async () => {
    clock.advance(30_000);
    const res = await postForm(referente, '/structure/aidants', `/structure/aidants/${thomas}/carte`, { serial: 'VS-7', totp: totpAt(clock, CARD_SEED) });
    expect(res.status).toBe(303);
    expect((await referente.get('/structure/aidants')).text).toContain('carte VS-7 (30 s)');
  });

  it('leaves the account untouched when the owner declines, journaled too', async () => {
    expect((await invite('lea@gray.test', 'Léa')).status).toBe(200);
    const link = await mailedLink(t, 'lea@gray.test', 'rejoindre');
    const owner = await signedIn('lea@gray.test');
    const page = await owner.get(link).expect(200);
    const res = await owner.post('/aidant/rejoindre').type('form').send({ _csrf: csrfOf(page.text), jeton: link.split('jeton=')[1], reponse: 'refuser' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Vous avez refusé');
    expect(await membershipsIn(vesoul, lea)).toEqual([]);
    const declined = (await journalOf(t, 'aidant.membership_declined')).filter((e) => e.aidant_id === lea);
    expect(declined).toEqual([expect.objectContaining({ chain: vesoul, actor_id: lea })]);
    await owner.get(link).expect(410);
  });

  it('refuses an answer other than accept or decline with a French 400', async () => {
    expect((await invite('lea@gray.test', 'Léa')).status).toBe(200);
    const link = await mailedLink(t, 'lea@gray.test', 'rejoindre');
    const owner = await signedIn('lea@gray.test');
    const page = await owner.get(link).expect(200);
    const res = await owner.post('/aidant/rejoindre').type('form').send({ _csrf: csrfOf(page.text), jeton: link.split('jeton=')[1], reponse: 'peut-être' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Choisissez « Accepter » ou « Refuser »');
    expect(await membershipsIn(vesoul, lea)).toEqual([]);
  });
});
