import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { seedAidant, seedStructure } from '../support/aidants.js';
import { backdateMandate, csrfIn, openMandate, postEntries, seedUsager, signInAtCounter } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FOLLOW_ALL } from '../support/usagers.js';

const path = (page: Page) => new URL(page.url).pathname;
/** The mandates a page links to, in the order of the page. */
const idsOn = (page: Page) => [...page.html.matchAll(/\/aidant\/mandats\/([0-9a-f-]{36})/g)].map((m) => m[1]!);

const LIVE = 55;
const REVOKED_BY = `revoked_by_type = 'usager', revocation_reason = 'demande_usager'`;
const ENDED = 52;

/** The aidant's dashboard over real HTTP: live mandates a page at a time, ended ones on their own pages, the search. */
describe('the aidant dashboard, a page at a time', () => {
  let t: TestApp;
  const clock = new ManualClock();
  let vesoul: string;
  /** Vesoul's live mandates, soonest end first. */
  const live: string[] = [];
  /** Vesoul's ended mandates, latest end first. */
  const ended: string[] = [];
  let grayMandate: string;
  let odetteEnded: string;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    const gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    const camille = await seedAidant(t, { email: 'camille@example.fr', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    const gael = await seedAidant(t, { email: 'gael@example.fr', givenName: 'Gaël', memberships: [{ structureId: gray, roles: ['aidant'] }] });
    const db = t.app.get(DataSource);
    for (let k = 0; k < LIVE + ENDED; k++) {
      const usagerId = await seedUsager(t, { givenName: 'Jeanne', familyName: `Numéro${k}`, birthdate: '1950-01-01' });
      const { id } = await openMandate(t, { aidantId: camille, structureId: vesoul, usagerId, demarches: ['logement'], duration: 'long' });
      if (k < LIVE) {
        // Ends in 40 + k days: the k-th soonest.
        await backdateMandate(t, id, 325 - k);
        live.push(id);
      } else {
        // Opened 10 days ago, revoked k hours ago: the latest revoked first.
        await backdateMandate(t, id, 10);
        await db.query(`UPDATE mandates SET revoked_at = now() - interval '1 hour' * $2::int, ${REVOKED_BY} WHERE id = $1`, [id, k]);
        ended.push(id);
      }
    }
    const odette = await seedUsager(t, { givenName: 'Odette', familyName: 'Lachaume', birthdate: '1931-05-17' });
    odetteEnded = (await openMandate(t, { aidantId: camille, structureId: vesoul, usagerId: odette, demarches: ['social'] })).id;
    // Revoked long ago, a year and a half: still found by the search, last of the ended pages.
    await backdateMandate(t, odetteEnded, 500);
    await db.query(`UPDATE mandates SET revoked_at = created_at + interval '1 day', ${REVOKED_BY} WHERE id = $1`, [odetteEnded]);
    grayMandate = (await openMandate(t, { aidantId: gael, structureId: gray, usagerId: odette, demarches: ['papiers'] })).id;
  });
  afterAll(() => t.close());

  async function aidant(email = 'camille@example.fr'): Promise<TestBrowser> {
    const browser = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    expect(path(await signInAtCounter(t, browser, clock, email))).toBe('/aidant');
    return browser;
  }

  it('lists the live mandates 50 at a time, soonest end first, with their count; page 2 shows the next ones', async () => {
    const browser = await aidant();
    const first = await browser.get(`${t.url}/aidant`);
    expect(first.status).toBe(200);
    expect(first.html).toContain(`${LIVE} mandats actifs, page 1 sur 2`);
    expect(idsOn(first)).toEqual(live.slice(0, 50));
    expect(first.html).toContain('class="fr-pagination');
    expect(first.html).toContain('href="/aidant?page=2"');
    const second = await browser.get(`${t.url}/aidant?page=2`);
    expect(second.status).toBe(200);
    expect(second.html).toContain(`${LIVE} mandats actifs, page 2 sur 2`);
    expect(idsOn(second)).toEqual(live.slice(50));
    expect(second.html).toMatch(/aria-current="page" title="Page 2"/);
    // No ended mandate among the live ones: they have their own pages, linked with their count.
    for (const page of [first, second]) for (const id of ended) expect(page.html).not.toContain(id);
    expect(first.html).toContain('href="/aidant/mandats-termines"');
  });

  it('offers to change structure only to an aidant who may act in another one now', async () => {
    expect((await (await aidant()).get(`${t.url}/aidant`)).html).not.toContain('Changer de structure');
    const gray = (await t.app.get(DataSource).query(`SELECT id FROM structures WHERE siret = '21700294000013'`))[0].id as string;
    await seedAidant(t, { email: 'nadia@example.fr', givenName: 'Nadia', memberships: [{ structureId: vesoul, roles: ['aidant'] }, { structureId: gray, roles: ['aidant'] }] });
    const browser = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    const choice = await signInAtCounter(t, browser, clock, 'nadia@example.fr');
    expect(path(choice)).toBe('/aidant/structure');
    expect(path(await postEntries(browser, `${t.url}/aidant/structure`, [['_csrf', csrfIn(choice)], ['structure', vesoul]]))).toBe('/aidant');
    expect((await browser.get(`${t.url}/aidant`)).html).toContain('Changer de structure');
    // A suspended membership is not a structure one may act in.
    await t.app.get(DataSource).query(`UPDATE memberships SET suspended_at = now() WHERE structure_id = $1 AND aidant_id = (SELECT id FROM aidants WHERE email = 'nadia@example.fr')`, [gray]);
    const after = await browser.get(`${t.url}/aidant`);
    expect(after.status).toBe(200);
    expect(after.html).not.toContain('Changer de structure');
  });

  it('shows the first page for a page number it cannot read and the last one past the end, never an error', async () => {
    const browser = await aidant();
    for (const bad of ['abc', '0', '-1', '1.5', '2e1', '9999999999', '']) {
      const page = await browser.get(`${t.url}/aidant?page=${bad}`);
      expect(page.status).toBe(200);
      expect(idsOn(page)).toEqual(live.slice(0, 50));
    }
    const past = await browser.get(`${t.url}/aidant?page=7`);
    expect(past.status).toBe(200);
    expect(idsOn(past)).toEqual(live.slice(50));
    // Refused before the page by the input guard, as everywhere (never a 500).
    expect((await browser.get(`${t.url}/aidant?page=%00`)).status).toBe(400);
    expect((await browser.get(`${t.url}/aidant?page=2&page=1`)).status).toBeLessThan(500);
    const endedPast = await browser.get(`${t.url}/aidant/mandats-termines?page=nope`);
    expect(endedPast.status).toBe(200);
    expect(endedPast.html).toContain('page 1 sur 2');
  });

  it('lists the ended mandates on their own pages, latest end first', async () => {
    const browser = await aidant();
    const first = await browser.get(`${t.url}/aidant/mandats-termines`);
    expect(first.status).toBe(200);
    expect(first.html).toContain(`${ENDED + 1} mandats terminés, page 1 sur 2`);
    expect(idsOn(first)).toEqual(ended.slice(0, 50));
    expect(first.html).toContain('révoqué');
    const second = await browser.get(`${t.url}/aidant/mandats-termines?page=2`);
    expect(idsOn(second)).toEqual([...ended.slice(50), odetteEnded]);
    for (const id of live) expect(second.html + first.html).not.toContain(id);
  });

  it('the search finds any mandate of the structure, live or ended, and never another structure’s', async () => {
    const browser = await aidant();
    const odette = await browser.get(`${t.url}/aidant?nom=${encodeURIComponent('odette lachaume')}`);
    expect(odette.status).toBe(200);
    expect(idsOn(odette)).toEqual([odetteEnded]);
    expect(odette.html).toContain('révoqué');
    const byBirth = await browser.get(`${t.url}/aidant?naissance=17%2F05%2F1931`);
    expect(idsOn(byBirth)).toEqual([odetteEnded]);
    const one = await browser.get(`${t.url}/aidant?nom=numero${LIVE + 3}`);
    expect(idsOn(one)).toEqual([ended[3]]);
    // 107 Jeanne: live ones first, 50 shown, and a word to narrow the search.
    const many = await browser.get(`${t.url}/aidant?nom=jeanne`);
    expect(idsOn(many)).toEqual(live.slice(0, 50));
    expect(many.html).toContain('Seuls les 50 premiers mandats trouvés sont affichés');

    const gael = await aidant('gael@example.fr');
    const theirs = await gael.get(`${t.url}/aidant?nom=odette`);
    expect(idsOn(theirs)).toEqual([grayMandate]);
    const home = await gael.get(`${t.url}/aidant`);
    expect(idsOn(home)).toEqual([grayMandate]);
    expect(home.html).toContain('1 mandat actif.');
    expect(home.html).not.toContain('class="fr-pagination');
    const endedOfGray = await gael.get(`${t.url}/aidant/mandats-termines?page=2`);
    expect(idsOn(endedOfGray)).toEqual([]);
    expect(endedOfGray.html).toContain('Aucun mandat révoqué ou expiré dans la structure.');
    expect((await gael.get(`${t.url}/aidant?nom=jeanne`)).html).toContain('Aucun mandat de la structure ne correspond à cette recherche.');
  });
});
