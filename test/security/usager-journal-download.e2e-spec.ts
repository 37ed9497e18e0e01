import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import type { JournalAction } from '../../src/journal/journal.actions.js';
import { seedAidant, seedStructure } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, usagerBrowser } from '../support/usagers.js';
import { appendHistory } from '../supervision/support.js';

const AIDANT_IP = '10.20.30.40';
const AIDANT_UA = 'Navigateur-du-guichet/7.1 (poste 3)';

interface Downloaded {
  entries: Array<{ requestFactsWithheld?: boolean; entry: { action: string; actor: { type: string; id: string | null }; request: { ip: string | null; userAgent: string | null; requestId: string | null } } }>;
}

/**
 * Finding 10 of the security review: the usager's journal download showed
 * the IP address and the user agent of the aidants who acted for them.
 * The usager sees who acted, where and when; the aidant's network facts stay
 * with the structure's référents. Their own requests' facts are theirs.
 */
describe('the usager journal download shows no aidant IP address or user agent', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'silent' }, { clock });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('withholds the request facts of entries made by others, keeps those of the usager’s own requests', async () => {
    const vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    const marie = await seedAidant(t, { email: 'marie@vesoul.test', givenName: 'Marie', familyName: 'Curie', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    const angela = usagerBrowser();
    await signInAsUsager(t, angela, 'angela');
    const [{ id: angelaId }]: { id: string }[] = await t.app.get(DataSource).query(`SELECT id FROM usagers WHERE family_name = 'DUBOIS'`);
    const request = { ip: AIDANT_IP, userAgent: AIDANT_UA, requestId: 'req-guichet-0001' };
    await appendHistory(t, [
      { action: 'autorisation.used' as JournalAction, structureId: vesoul, actor: { type: 'aidant', id: marie }, subjects: { usagerId: angelaId, aidantId: marie, partnerId: 'caf-demo' }, demarche: 'logement', request, details: {} as never },
      { action: 'autorisation.used' as JournalAction, structureId: vesoul, actor: { type: 'system', id: null }, subjects: { usagerId: angelaId, aidantId: marie }, demarche: 'logement', request, details: {} as never },
    ]);

    const download = await angela.get(`${t.url}/usager/journal/telechargement`);
    expect(download.status).toBe(200);
    expect(download.html).not.toContain(AIDANT_IP);
    expect(download.html).not.toContain('Navigateur-du-guichet');
    const document = JSON.parse(download.html) as Downloaded;
    const byOthers = document.entries.filter((e) => e.entry.actor.type !== 'usager');
    expect(byOthers.length).toBeGreaterThanOrEqual(2);
    for (const { entry } of byOthers) expect(entry.request).toMatchObject({ ip: null, userAgent: null });
    // Said plainly: the hash of such an entry covers facts the download leaves out.
    expect(byOthers.filter((e) => e.requestFactsWithheld === true).length).toBeGreaterThanOrEqual(2);
    // The request id stays: it names the request for support, and says nothing about the aidant.
    expect(byOthers.map((e) => e.entry.request.requestId)).toContain('req-guichet-0001');
    // The usager's own sign-in keeps its facts: it was their request.
    const own = document.entries.find((e) => e.entry.action === 'usager.signed_in');
    expect(own?.entry.request.ip).toEqual(expect.any(String));
    // The page shows none of them either.
    const page = await angela.get(`${t.url}/usager/journal`);
    expect(page.html).not.toContain(AIDANT_IP);
    expect(page.html).not.toContain('Navigateur-du-guichet');
  });
});
