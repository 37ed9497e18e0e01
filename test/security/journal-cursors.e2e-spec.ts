import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import type { JournalAction } from '../../src/journal/journal.actions.js';
import { browser, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, usagerBrowser } from '../support/usagers.js';
import { appendHistory } from '../supervision/support.js';

const cursor = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
const ID = randomUUID();
const AT = '2026-01-31T09:00:00.000Z';

/**
 * Finding 8 of the security review: a crafted "next page" link of the
 * journal (référent search and usager journal) ended in a 500 when its
 * date or id passed the loose checks but not PostgreSQL's. Every cursor
 * that is not one the service wrote gets the French 400 page.
 */
const CRAFTED: Array<[string, string]> = [
  ['a year alone as the date', cursor({ at: '1', id: ID })],
  ['a date that does not exist', cursor({ at: '2026-02-30T00:00:00.000Z', id: ID })],
  ['a date beyond year 9999', cursor({ at: '+275760-09-13T00:00:00.000Z', id: ID })],
  ['a date with a time zone name', cursor({ at: 'Sat, 31 Jan 2026 09:00:00 GMT', id: ID })],
  ['dashes in place of an id', cursor({ at: AT, id: '-'.repeat(36) })],
  ['hex digits with misplaced dashes', cursor({ at: AT, id: `${'0'.repeat(34)}-0` })],
  ['an id of another shape', cursor({ at: AT, id: 'abc' })],
  ['extra fields', cursor({ at: AT, id: ID, limit: 100000 })],
  ['JSON null', cursor('null')],
  ['a JSON array', cursor('[1,2]')],
  ['text that is not base64url', '!!!%%%'],
  ['an overlong cursor', 'A'.repeat(4000)],
];

describe('journal page cursors are parsed strictly', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let vesoul: string;
  let referente: ReturnType<typeof browser>;
  let angela: ReturnType<typeof usagerBrowser>;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'silent' }, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'helene@vesoul.test', givenName: 'Hélène', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    clock.advance(30_000);
    referente = browser(t);
    expect((await signIn(referente, clock, 'helene@vesoul.test')).status).toBe(303);
    angela = usagerBrowser();
    await signInAsUsager(t, angela, 'angela');
    const [{ id: angelaId }]: { id: string }[] = await t.app.get(DataSource).query(`SELECT id FROM usagers WHERE family_name = 'DUBOIS'`);
    // Enough entries for two pages of each list.
    const used = { action: 'autorisation.used' as JournalAction, structureId: vesoul, actor: { type: 'system' as const, id: null }, subjects: { usagerId: angelaId }, demarche: 'logement', details: {} as never };
    await appendHistory(t, Array.from({ length: 55 }, () => used));
  });

  afterAll(async () => {
    await t?.close();
  });

  it('follows the next-page links the service writes (référent and usager)', async () => {
    const first = await referente.get('/structure/journal').expect(200);
    const next = /id="next-page" href="([^"]+)"/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBeDefined();
    await referente.get(next!).expect(200);
    const mine = await angela.get(`${t.url}/usager/journal`);
    const mineNext = /href="(\/usager\/journal\?apres=[^"]+)"/.exec(mine.html)?.[1]?.replaceAll('&amp;', '&');
    expect(mineNext).toBeDefined();
    expect((await angela.get(`${t.url}${mineNext!}`)).status).toBe(200);
  });

  it.each(CRAFTED)('refuses a référent search cursor with %s: French 400 page', async (_what, crafted) => {
    const res = await referente.get(`/structure/journal?apres=${encodeURIComponent(crafted)}`);
    expect(res.status).toBe(400);
    expect(res.text).toContain('Le lien vers la page suivante du journal est invalide.');
  });

  it.each(CRAFTED)('refuses a usager journal cursor with %s: French 400 page', async (_what, crafted) => {
    const res = await angela.get(`${t.url}/usager/journal?apres=${encodeURIComponent(crafted)}`);
    expect(res.status).toBe(400);
    expect(res.html).toContain('Le lien vers la page suivante du journal est invalide.');
  });
});
