import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A session read that fails (the store's query errors) must answer a
 * temporary French error and leave the stored session as it was:
 * express-session, configured to destroy unset sessions, would otherwise
 * delete the row it failed to read. The failure is made real in the
 * database: `http_sessions` is swapped for a view whose `data` column
 * raises on read, while a DELETE through it still reaches the rows.
 */
describe('session read failure', () => {
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

  async function breakSessionReads(): Promise<void> {
    await db().query(`CREATE OR REPLACE FUNCTION session_read_fails() RETURNS jsonb LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'session store unreadable (test)'; END $$`);
    await db().query(`ALTER TABLE http_sessions RENAME TO http_sessions_kept`);
    await db().query(`CREATE VIEW http_sessions AS SELECT sid, session_read_fails() AS data, expires_at FROM http_sessions_kept`);
  }

  async function repairSessionReads(): Promise<void> {
    await db().query(`DROP VIEW http_sessions`);
    await db().query(`ALTER TABLE http_sessions_kept RENAME TO http_sessions`);
    await db().query(`DROP FUNCTION session_read_fails()`);
  }

  const storedSessions = async (): Promise<{ sid: string; data: string }[]> =>
    db().query(`SELECT sid, data::text AS data FROM http_sessions ORDER BY sid`);

  it('answers 503 with a French page, keeps the stored session and the wizard in progress', async () => {
    const agent = browser(t);
    clock.advance(30_000);
    const signedIn = await signIn(agent, clock, 'nadia@example.fr');
    expect(signedIn.status).toBe(303);
    // Step 1 of the mandate wizard: the choice lives in the session.
    const form = await agent.get('/aidant/mandats/nouveau').expect(200);
    await agent
      .post('/aidant/mandats/nouveau')
      .type('form')
      .send({ _csrf: csrfOf(form.text), demarches: 'logement', duree: 'mois' })
      .expect(303);
    expect((await agent.get('/aidant/mandats/nouveau/franceconnect')).status).toBe(200);
    const before = await storedSessions();
    expect(before).toHaveLength(1);
    const journalBefore = (await journalOf(t, 'aidant.signed_out')).length;

    await breakSessionReads();
    let failed;
    try {
      failed = await agent.get('/aidant').set('Accept', 'text/html');
    } finally {
      await repairSessionReads();
    }
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBeDefined();
    expect(failed.headers['cache-control']).toContain('no-store');
    expect(failed.text).toContain('Votre session');
    expect(failed.text).toContain('vous êtes toujours connecté');
    // The browser keeps its cookie: no new session cookie, no clearing.
    expect(failed.headers['set-cookie']).toBeUndefined();

    // The row is exactly as it was, and the next request finds the aidant and the wizard.
    expect(await storedSessions()).toEqual(before);
    expect((await agent.get('/aidant')).status).toBe(200);
    expect((await agent.get('/aidant/mandats/nouveau/franceconnect')).status).toBe(200);
    expect((await journalOf(t, 'aidant.signed_out')).length).toBe(journalBefore);
  });

  it('answers an API client with a problem document (503)', async () => {
    const agent = browser(t);
    clock.advance(30_000);
    expect((await signIn(agent, clock, 'nadia@example.fr')).status).toBe(303);
    await breakSessionReads();
    let failed;
    try {
      failed = await agent.get('/aidant').set('Accept', 'application/json');
    } finally {
      await repairSessionReads();
    }
    expect(failed.status).toBe(503);
    expect(failed.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(failed.text)).toMatchObject({ type: 'urn:procuration:problem:session.unavailable', status: 503 });
    expect((await agent.get('/aidant')).status).toBe(200);
  });
});
