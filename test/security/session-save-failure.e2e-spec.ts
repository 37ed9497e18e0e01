import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A session save that fails as a response ends (the database overloaded or
 * away when express-session writes the changed session) comes after the
 * page is answered: express-session then calls the middleware's callback a
 * second time with the error. The service must neither answer again (which
 * throws outside any handler and stopped the process under load) nor go on
 * with the request; the next request reads the session as it was. The
 * failure is made real in the database: a trigger refuses every write to
 * `http_sessions`.
 */
describe('session save failure at the end of a response', () => {
  let t: TestApp;
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    const structure = await seedStructure(t, 'Médiathèque de Lure', '21700550300016');
    await seedAidant(t, { email: 'nadia@example.fr', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
  });

  afterAll(async () => {
    await t.close();
  });

  const db = () => t.app.get(DataSource);

  async function breakSessionWrites(): Promise<void> {
    await db().query(`CREATE FUNCTION session_write_fails() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'session store unwritable (test)'; END $$`);
    await db().query(`CREATE TRIGGER session_write_fails BEFORE INSERT OR UPDATE ON http_sessions FOR EACH ROW EXECUTE FUNCTION session_write_fails()`);
  }

  async function repairSessionWrites(): Promise<void> {
    await db().query(`DROP TRIGGER session_write_fails ON http_sessions`);
    await db().query(`DROP FUNCTION session_write_fails()`);
  }

  it('answers the page, keeps serving, and the next request finds the session as it was', async () => {
    const agent = browser(t);
    clock.advance(30_000);
    expect((await signIn(agent, clock, 'nadia@example.fr')).status).toBe(303);
    // Step 1 of the mandate wizard: the choice is saved in the session (before the redirect).
    const form = await agent.get('/aidant/mandats/nouveau').expect(200);
    await agent.post('/aidant/mandats/nouveau').type('form').send({ _csrf: csrfOf(form.text), demarches: 'logement', duree: 'mois' }).expect(303);
    const stored = async () => (await db().query(`SELECT data::text AS data FROM http_sessions ORDER BY sid`)) as { data: string }[];
    const before = await stored();
    expect(before.some((row) => row.data.includes('logement'))).toBe(true);

    await breakSessionWrites();
    let page;
    try {
      // Opening the choice again abandons the wizard in progress: a change of the session, saved as the response ends.
      page = await agent.get('/aidant/mandats/nouveau');
      // The failed save comes back on the next turns of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await repairSessionWrites();
    }
    expect(page.status).toBe(200);
    expect(page.text).toContain('Nouveau mandat');
    expect(await stored()).toEqual(before);

    // Still serving; the wizard is where it was, since abandoning it was not saved.
    expect((await agent.get('/aidant')).status).toBe(200);
    const consent = await agent.get('/aidant/mandats/nouveau/franceconnect');
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('Étape 2 sur 3');
  });
});
