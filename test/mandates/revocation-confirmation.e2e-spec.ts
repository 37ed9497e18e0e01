import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { journalOf, seedAidant, seedStructure, totpAt } from '../support/aidants.js';
import { csrfIn, openMandate, postEntries, seedUsager, signInAtCounter } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FOLLOW_ALL, signInAsUsager, submitForm } from '../support/usagers.js';

const path = (page: Page) => new URL(page.url).pathname;

/** The pages between a "Révoquer" button and the revocation: what they say, what they protect, what they never write. */
describe('confirmation before a revocation', () => {
  let t: TestApp;
  const clock = new ManualClock();
  let vesoul: string;
  let camille: string;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    const gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    camille = await seedAidant(t, { email: 'camille@example.fr', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'gael@example.fr', givenName: 'Gaël', memberships: [{ structureId: gray, roles: ['aidant'] }] });
  });
  afterAll(() => t.close());

  async function aidant(email = 'camille@example.fr'): Promise<TestBrowser> {
    const browser = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    expect(path(await signInAtCounter(t, browser, clock, email))).toBe('/aidant');
    return browser;
  }

  /** Every journal entry and the mandate's rows, to show that a page wrote nothing. */
  async function snapshot(mandateId: string) {
    await t.app.get(JournalService).flush();
    const db = t.app.get(DataSource);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM journal_entries`);
    const mandate = await db.query(`SELECT revoked_at FROM mandates WHERE id = $1`, [mandateId]);
    const autorisations = await db.query(`SELECT id, revoked_at FROM autorisations WHERE mandate_id = $1 ORDER BY id`, [mandateId]);
    return { entries: n as number, mandate, autorisations };
  }

  async function angelaMandate(demarches: Array<'logement' | 'social' | 'papiers'>) {
    const usagerId = await seedUsager(t);
    const view = await openMandate(t, { aidantId: camille, structureId: vesoul, usagerId, demarches });
    return view;
  }

  describe('the aidant', () => {
    it('is shown the whole mandate’s end, with the person’s name, the démarches and a motif to choose; the GET writes nothing', async () => {
      const browser = await aidant();
      const mandate = await angelaMandate(['logement', 'social']);
      const detail = await browser.get(`${t.url}/aidant/mandats/${mandate.id}`);
      expect(detail.html).toContain(`href="/aidant/mandats/${mandate.id}/revocation"`);
      expect(detail.html).not.toMatch(/<form[^>]+action="\/aidant\/mandats\/[^"]+\/revocation"/);

      const before = await snapshot(mandate.id);
      const page = await browser.get(`${t.url}/aidant/mandats/${mandate.id}/revocation`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('<h1>Révoquer le mandat</h1>');
      expect(page.html).toContain('Angela Claire Louise DUBOIS');
      expect(page.html).toMatch(/Date de naissance<\/dt><dd>24 août 1962</);
      expect(page.html).toContain('Médiathèque de Vesoul');
      expect(page.html).toContain('<li>Logement</li>');
      expect(page.html).toContain('<li>Social – Santé</li>');
      expect(page.html).toContain('Cette action est définitive');
      expect(page.html).toContain('prend fin dès maintenant');
      expect(page.html).toContain('name="motif"');
      expect(page.html).toContain('Confirmer la révocation du mandat');
      expect(page.html).toContain(`<a class="fr-btn fr-btn--secondary" href="/aidant/mandats/${mandate.id}">Annuler</a>`);
      expect(await snapshot(mandate.id)).toEqual(before);

      // Confirmed without a motif: the same page, in French, nothing written.
      const noReason = await submitForm(browser, page, `/aidant/mandats/${mandate.id}/revocation`);
      expect(noReason.status).toBe(400);
      expect(noReason.html).toContain('Choisissez le motif de la révocation.');
      expect(noReason.html).toContain('Confirmer la révocation du mandat');
      expect(await snapshot(mandate.id)).toEqual(before);

      const done = await postEntries(browser, `${t.url}/aidant/mandats/${mandate.id}/revocation`, [['_csrf', csrfIn(page)], ['motif', 'fin_accompagnement']]);
      expect(path(done)).toBe(`/aidant/mandats/${mandate.id}`);
      expect(done.html).toContain('La révocation est enregistrée');
      const [entry] = (await journalOf(t, 'mandate.revoked')).filter((e) => e.mandate_id === mandate.id);
      expect(entry).toMatchObject({ actor_type: 'aidant', details: { by: 'aidant', reason: 'fin_accompagnement' } });

      // Once revoked, the confirmation page says so instead of offering to revoke again.
      const again = await browser.get(`${t.url}/aidant/mandats/${mandate.id}/revocation`);
      expect(again.status).toBe(409);
      expect(again.html).toContain('déjà révoqué ou expiré');
    });

    it('is shown one démarche’s end, and which démarches stay; confirming revokes that one only', async () => {
      const browser = await aidant();
      const mandate = await angelaMandate(['logement', 'social', 'papiers']);
      const logement = mandate.autorisations.find((a) => a.demarche === 'logement')!;
      const detail = await browser.get(`${t.url}/aidant/mandats/${mandate.id}`);
      expect(detail.html).toContain(`href="/aidant/mandats/${mandate.id}/revocation?autorisation=${logement.id}"`);

      const before = await snapshot(mandate.id);
      const page = await browser.get(`${t.url}/aidant/mandats/${mandate.id}/revocation?autorisation=${logement.id}`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('<h1>Révoquer une démarche</h1>');
      expect(page.html).toContain('Angela Claire Louise DUBOIS');
      expect(page.html).toMatch(/Démarche révoquée<\/dt>\s*<dd><ul><li>Logement<\/li><\/ul>/);
      expect(page.html).toMatch(/Démarches qui restent autorisées<\/dt><dd><ul>(<li>(Social – Santé|Papiers – Citoyenneté)<\/li>){2}<\/ul>/);
      expect(page.html).toContain('La démarche « Logement » ne pourra plus être réalisée');
      expect(page.html).toContain(`name="autorisation" value="${logement.id}"`);
      expect(page.html).toContain('Confirmer la révocation de la démarche');
      expect(await snapshot(mandate.id)).toEqual(before);

      const done = await postEntries(browser, `${t.url}/aidant/mandats/${mandate.id}/revocation`, [
        ['_csrf', csrfIn(page)],
        ['autorisation', logement.id],
        ['motif', 'demande_usager'],
      ]);
      expect(done.status).toBe(200);
      const revoked = (await journalOf(t, 'autorisation.revoked', 'mandate.revoked')).filter((e) => e.mandate_id === mandate.id);
      expect(revoked.map((e) => [e.action, e.demarche])).toEqual([['autorisation.revoked', 'logement']]);
      expect(revoked[0]!.details).toEqual({ autorisationId: logement.id, by: 'aidant', reason: 'demande_usager' });
    });

    it('is told the mandate ends when the démarche is the last one left', async () => {
      const browser = await aidant();
      const mandate = await angelaMandate(['logement', 'social']);
      const [logement, social] = ['logement', 'social'].map((d) => mandate.autorisations.find((a) => a.demarche === d)!);
      const first = await browser.get(`${t.url}/aidant/mandats/${mandate.id}/revocation?autorisation=${logement!.id}`);
      await postEntries(browser, `${t.url}/aidant/mandats/${mandate.id}/revocation`, [['_csrf', csrfIn(first)], ['autorisation', logement!.id], ['motif', 'erreur']]);
      const last = await browser.get(`${t.url}/aidant/mandats/${mandate.id}/revocation?autorisation=${social!.id}`);
      expect(last.status).toBe(200);
      expect(last.html).toContain('prend fin dès maintenant');
      const gone = await browser.get(`${t.url}/aidant/mandats/${mandate.id}/revocation?autorisation=${logement!.id}`);
      expect(gone.status).toBe(409);
      expect(gone.html).toContain('Cette démarche est déjà révoquée ou expirée.');
    });

    it('asks for a fresh one-time code before the page when the last one is stale, and comes back to it', async () => {
      const browser = await aidant();
      const mandate = await angelaMandate(['papiers']);
      clock.advance(16 * 60_000);
      const url = `/aidant/mandats/${mandate.id}/revocation`;
      const refused = await browser.get(`${t.url}${url}`);
      expect(refused.status).toBe(403);
      const retry = `/aidant/reauthentification?suite=${encodeURIComponent(url)}`;
      expect(refused.html).toContain(`href="${retry}"`);
      const page = await browser.get(`${t.url}${retry}`);
      expect(page.html).toContain(`name="suite" value="${url}"`);
      clock.advance(30_000);
      const confirmed = await postEntries(browser, `${t.url}/aidant/reauthentification`, [['_csrf', csrfIn(page)], ['suite', url], ['totp', totpAt(clock)]]);
      expect(path(confirmed)).toBe(url);
      expect(confirmed.html).toContain('Confirmer la révocation du mandat');
    });

    it.each([
      ['the whole mandate', ''],
      ['one démarche', '?autorisation=AUTORISATION'],
    ])('gets 404 for %s of another structure’s mandate, on the page and on the POST', async (_name, suffix) => {
      const mandate = await angelaMandate(['logement', 'social']);
      const query = suffix.replace('AUTORISATION', mandate.autorisations[0]!.id);
      const other = await aidant('gael@example.fr');
      const before = await snapshot(mandate.id);
      const page = await other.get(`${t.url}/aidant/mandats/${mandate.id}/revocation${query}`);
      expect(page.status).toBe(404);
      expect(page.html).toContain('ne concerne pas votre structure');
      const home = await other.get(`${t.url}/aidant`);
      const post = await postEntries(other, `${t.url}/aidant/mandats/${mandate.id}/revocation`, [
        ['_csrf', csrfIn(home)],
        ['motif', 'erreur'],
        ...(query ? [['autorisation', mandate.autorisations[0]!.id] as [string, string]] : []),
      ]);
      expect(post.status).toBe(404);
      expect(await snapshot(mandate.id)).toEqual(before);
    });

    it.each([
      ['an unknown mandate', '00000000-0000-4000-8000-000000000000', ''],
      ['a mandate id that is not a UUID', 'pas-un-mandat', ''],
      ['an unknown démarche', null, '?autorisation=00000000-0000-4000-8000-000000000000'],
      ['a démarche id that is not a UUID', null, '?autorisation=pas-une-demarche'],
    ])('gets 404 for %s', async (_name, id, query) => {
      const browser = await aidant();
      const mandateId = id ?? (await angelaMandate(['logement'])).id;
      const page = await browser.get(`${t.url}/aidant/mandats/${mandateId}/revocation${query}`);
      expect(page.status).toBe(404);
    });

    it('refuses the confirmation’s POST without its CSRF token and writes nothing', async () => {
      const browser = await aidant();
      const mandate = await angelaMandate(['logement']);
      const before = await snapshot(mandate.id);
      const post = await postEntries(browser, `${t.url}/aidant/mandats/${mandate.id}/revocation`, [['motif', 'erreur']]);
      expect(post.status).toBe(403);
      expect(await snapshot(mandate.id)).toEqual(before);
    });
  });

  describe('the usager', () => {
    it('goes from “Révoquer” on /usager to a page naming the structure and the démarches, then revokes', async () => {
      const usager = new TestBrowser(FOLLOW_ALL);
      await signInAsUsager(t, usager, 'mamadou');
      const [{ id: usagerId }] = await t.app.get(DataSource).query(`SELECT id FROM usagers WHERE given_name LIKE 'Mamadou%'`);
      const mine = await openMandate(t, { aidantId: camille, structureId: vesoul, usagerId, demarches: ['logement', 'papiers'] });
      const theirs = await angelaMandate(['logement']);

      const space = await usager.get(`${t.url}/usager`);
      expect(space.html).toContain(`href="/usager/mandats/${mine.id}/revocation"`);
      expect(space.html).not.toMatch(/<form[^>]+action="\/usager\/mandats\//);

      const before = await snapshot(mine.id);
      const page = await usager.get(`${t.url}/usager/mandats/${mine.id}/revocation`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('<h1>Révoquer mon mandat</h1>');
      expect(page.html).toContain('<strong>Médiathèque de Vesoul</strong>');
      expect(page.html).toContain('<li>Logement</li>');
      expect(page.html).toContain('<li>Papiers – Citoyenneté</li>');
      expect(page.html).toContain('Cette action est définitive');
      expect(page.html).toContain('ne pourront plus faire ces démarches pour vous');
      expect(page.html).toContain('Confirmer la révocation');
      expect(page.html).toContain('<a class="fr-btn fr-btn--secondary" href="/usager">Annuler</a>');
      expect(await snapshot(mine.id)).toEqual(before);

      // Someone else's mandate: not found, on the page as on the POST.
      expect((await usager.get(`${t.url}/usager/mandats/${theirs.id}/revocation`)).status).toBe(404);
      expect((await postEntries(usager, `${t.url}/usager/mandats/${theirs.id}/revocation`, [['_csrf', csrfIn(page)]])).status).toBe(404);
      // Without the CSRF token: refused, nothing written.
      expect((await postEntries(usager, `${t.url}/usager/mandats/${mine.id}/revocation`, [])).status).toBe(403);
      expect(await snapshot(mine.id)).toEqual(before);

      const after = await submitForm(usager, page, `/usager/mandats/${mine.id}/revocation`);
      expect(path(after)).toBe('/usager');
      expect(after.html).toContain('Votre mandat est révoqué');
      const [entry] = (await journalOf(t, 'mandate.revoked')).filter((e) => e.mandate_id === mine.id);
      expect(entry).toMatchObject({ actor_type: 'usager', details: { by: 'usager', reason: 'demande_usager' } });
      expect((await usager.get(`${t.url}/usager/mandats/${mine.id}/revocation`)).status).toBe(409);
    });

    it('is asked to sign in for a confirmation page without a session', async () => {
      const mandate = await angelaMandate(['logement']);
      const page = await new TestBrowser(FOLLOW_ALL).get(`${t.url}/usager/mandats/${mandate.id}/revocation`);
      expect(page.status).toBe(401);
    });
  });
});
