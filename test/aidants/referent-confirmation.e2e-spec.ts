import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TotpDevicesService } from '../../src/aidants/totp-devices.service.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { browser, csrfOf, journalOf, postForm, seedAidant, seedStructure, signIn, totpAt } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const KARIM_CARD = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const THOMAS_CARD = 'MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK';

/** The référent's confirmation pages: suspending an aidant, disabling a card. */
describe('référent confirmations /structure/aidants/…', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let vesoul: string;
  let karim: string;
  let thomas: string;
  let helene: string;
  let referente: ReturnType<typeof browser>;

  async function signedIn(email: string, totp?: string) {
    clock.advance(30_000);
    const agent = browser(t);
    expect((await signIn(agent, clock, email, totp ? { totp } : {})).status).toBe(303);
    return agent;
  }

  async function query(sql: string, params: unknown[] = []) {
    return t.app.get(DataSource).query(sql, params);
  }

  /** Every journal entry, the memberships and the cards: what a confirmation page must leave alone. */
  async function snapshot() {
    await t.app.get(JournalService).flush();
    return {
      entries: (await query(`SELECT count(*)::int AS n FROM journal_entries`))[0].n,
      memberships: await query(`SELECT aidant_id, suspended_at FROM memberships ORDER BY aidant_id, structure_id`),
      cards: await query(`SELECT serial, revoked_at FROM totp_devices WHERE kind = 'card' ORDER BY serial`),
    };
  }

  async function giveCard(agent: ReturnType<typeof browser>, aidantId: string, serial: string, seed: string) {
    await t.app.get(TransactionRunner).run((m) =>
      t.app.get(TotpDevicesService).registerCard(m, { serial, seed, step: 30 }, { type: 'operator', id: 'alice' }),
    );
    clock.advance(30_000);
    const res = await postForm(agent, '/structure/aidants', `/structure/aidants/${aidantId}/carte`, { serial, totp: totpAt(clock, seed) });
    expect(res.status).toBe(303);
  }

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    const gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    helene = await seedAidant(t, { email: 'referente@vesoul.test', givenName: 'Hélène', familyName: 'Marchand', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    karim = await seedAidant(t, { email: 'karim@vesoul.test', givenName: 'Karim', familyName: 'Benali', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    thomas = await seedAidant(t, { email: 'thomas@gray.test', givenName: 'Thomas', memberships: [{ structureId: gray, roles: ['aidant', 'referent'] }] });
    referente = await signedIn('referente@vesoul.test');
    await giveCard(referente, karim, 'VES-1', KARIM_CARD);
    await giveCard(await signedIn('thomas@gray.test'), thomas, 'GRA-1', THOMAS_CARD);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('suspending an aidant', () => {
    it('is a link on the list, to a page naming the aidant and the structure; the GET writes nothing', async () => {
      const list = await referente.get('/structure/aidants').expect(200);
      expect(list.text).toContain(`href="/structure/aidants/${karim}/suspension"`);
      expect(list.text).not.toContain(`action="/structure/aidants/${karim}/suspension"`);

      const before = await snapshot();
      const page = await referente.get(`/structure/aidants/${karim}/suspension`).expect(200);
      expect(page.text).toContain('<h1>Suspendre un aidant</h1>');
      expect(page.text).toContain('l’accès de <strong>Karim Benali</strong> à <strong>Médiathèque de Vesoul</strong>');
      expect(page.text).toContain('Cette action est définitive');
      expect(page.text).toContain('Les sessions en cours de Karim Benali sont fermées dès maintenant');
      expect(page.text).toContain('Vous pourrez réactiver cet accès plus tard');
      expect(page.text).toContain(`action="/structure/aidants/${karim}/suspension"`);
      expect(page.text).toContain('Confirmer la suspension de Karim Benali');
      expect(page.text).toContain('href="/structure/aidants">Annuler</a>');
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ['an aidant of another structure', () => thomas],
      ['an unknown aidant', () => '00000000-0000-4000-8000-000000000000'],
      ['an id that is not a UUID', () => 'pas-un-uuid'],
    ])('answers 404 for %s, and writes nothing', async (_name, id) => {
      const before = await snapshot();
      const page = await referente.get(`/structure/aidants/${id()}/suspension`);
      expect(page.status).toBe(404);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses the référent’s own suspension on the page already', async () => {
      const page = await referente.get(`/structure/aidants/${helene}/suspension`);
      expect(page.status).toBe(400);
      expect(page.text).toContain('Vous ne pouvez pas suspendre votre propre accès.');
      expect(page.text).not.toContain('Confirmer la suspension');
    });

    it('is refused to an aidant who is not référent', async () => {
      const aidant = await signedIn('karim@vesoul.test', totpAt(clock, KARIM_CARD));
      expect((await aidant.get(`/structure/aidants/${helene}/suspension`)).status).toBe(403);
    });

    it('confirmed (with its CSRF token only), suspends as before; the page then says it is done already', async () => {
      const page = await referente.get(`/structure/aidants/${karim}/suspension`).expect(200);
      const before = await snapshot();
      await referente.post(`/structure/aidants/${karim}/suspension`).type('form').send({}).expect(403);
      expect(await snapshot()).toEqual(before);

      await referente.post(`/structure/aidants/${karim}/suspension`).type('form').send({ _csrf: csrfOf(page.text) }).expect(303);
      const [entry] = (await journalOf(t, 'aidant.suspended')).filter((e) => e.aidant_id === karim);
      expect(entry).toMatchObject({ chain: vesoul, actor_type: 'aidant', actor_id: helene, details: {} });
      const again = await referente.get(`/structure/aidants/${karim}/suspension`).expect(200);
      expect(again.text).toContain('est déjà suspendu');
      expect(again.text).not.toContain('Confirmer la suspension');

      await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/reactivation`, {});
      expect(await query(`SELECT suspended_at FROM memberships WHERE aidant_id = $1`, [karim])).toEqual([{ suspended_at: null }]);
    });
  });

  describe('disabling a card', () => {
    it('is a link per card on the list, to a page naming the card and its holder; the GET writes nothing', async () => {
      const list = await referente.get('/structure/aidants').expect(200);
      expect(list.text).toContain(`href="/structure/aidants/${karim}/carte/desactivation?serie=VES-1"`);

      const before = await snapshot();
      const page = await referente.get(`/structure/aidants/${karim}/carte/desactivation?serie=VES-1`).expect(200);
      expect(page.text).toContain('<h1>Désactiver une carte</h1>');
      expect(page.text).toContain('la carte <strong>VES-1</strong> de <strong>Karim Benali</strong> (Médiathèque de Vesoul)');
      expect(page.text).toContain('Une carte désactivée ne peut pas être réactivée');
      // Karim also has an authenticator app (seeded): no warning that he would be left without codes.
      expect(page.text).not.toContain('n’a pas d’autre carte ni d’application');
      expect(page.text).toContain('name="serial" value="VES-1"');
      expect(page.text).toContain('Confirmer la désactivation de la carte VES-1');
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      ['the card of an aidant of another structure', () => `${thomas}/carte/desactivation?serie=GRA-1`],
      ['another aidant’s card under this aidant', () => `${karim}/carte/desactivation?serie=GRA-1`],
      ['an unknown card', () => `${karim}/carte/desactivation?serie=NOPE`],
      ['no card at all', () => `${karim}/carte/desactivation`],
    ])('answers 404 for %s, and writes nothing', async (_name, suffix) => {
      const before = await snapshot();
      expect((await referente.get(`/structure/aidants/${suffix()}`)).status).toBe(404);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses, on the POST, another structure’s aidant (404) and another aidant’s card (409), writing nothing', async () => {
      const before = await snapshot();
      const other = await postForm(referente, '/structure/aidants', `/structure/aidants/${thomas}/carte/desactivation`, { serial: 'GRA-1' });
      expect(other.status).toBe(404);
      const notTheirs = await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/carte/desactivation`, { serial: 'GRA-1' });
      expect(notTheirs.status).toBe(409);
      expect(notTheirs.text).toContain('Cette carte n’existe pas ou est déjà désactivée.');
      const noSerial = await postForm(referente, '/structure/aidants', `/structure/aidants/${karim}/carte/desactivation`, {});
      expect(noSerial.status).toBe(400);
      expect(await snapshot()).toEqual(before);
    });

    it('confirmed, disables the card in the structure’s journal: its codes are refused from then on', async () => {
      const page = await referente.get(`/structure/aidants/${karim}/carte/desactivation?serie=VES-1`).expect(200);
      const before = await snapshot();
      await referente.post(`/structure/aidants/${karim}/carte/desactivation`).type('form').send({ serial: 'VES-1' }).expect(403);
      expect(await snapshot()).toEqual(before);

      const done = await referente
        .post(`/structure/aidants/${karim}/carte/desactivation`)
        .type('form')
        .send({ _csrf: csrfOf(page.text), serial: 'VES-1' })
        .expect(303);
      expect(done.headers.location).toBe('/structure/aidants');
      const [entry] = (await journalOf(t, 'totp_card.revoked')).filter((e) => e.aidant_id === karim);
      expect(entry).toMatchObject({ chain: vesoul, actor_type: 'aidant', actor_id: helene, details: { serial: 'VES-1' } });
      expect(entry!.ip).not.toBeNull();
      expect(await query(`SELECT revoked_at IS NOT NULL AS revoked FROM totp_devices WHERE serial = 'GRA-1'`)).toEqual([{ revoked: false }]);

      clock.advance(30_000);
      expect((await signIn(browser(t), clock, 'karim@vesoul.test', { totp: totpAt(clock, KARIM_CARD) })).status).not.toBe(303);
      expect((await referente.get(`/structure/aidants/${karim}/carte/desactivation?serie=VES-1`)).status).toBe(404);
      expect((await referente.get('/structure/aidants')).text).not.toContain('serie=VES-1');
    });
  });
});
