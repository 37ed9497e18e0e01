import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, signIn } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * What a database blip does to people at work. On PostgreSQL: the
 * service's connections are terminated (`pg_terminate_backend`, as a
 * failover or a pooler restart does) every 150 ms for 4 s while aidants
 * keep working; every session must survive, and every success answered
 * must have its journal entry. The embedded database has no
 * `pg_terminate_backend`: there, the database is made unavailable and a
 * signed-in request must get the temporary French error, not a sign-out.
 */
const ON_POSTGRESQL = Boolean(process.env.DATABASE_URL);

const AIDANTS = 6;
const BLIP_EVERY_MS = 150;
const BLIPS_FOR_MS = 4000;

interface Worker {
  id: string;
  email: string;
  agent: TestAgent;
  csrf: string;
  started: number;
}

async function startWizard(worker: Worker): Promise<number> {
  const res = await worker.agent
    .post('/aidant/mandats/nouveau')
    .type('form')
    .send({ _csrf: worker.csrf, demarches: 'logement', duree: 'mois' });
  return res.status;
}

if (ON_POSTGRESQL) {
  describe('database blips on PostgreSQL: connections terminated every 150 ms for 4 s under load', () => {
    let t: TestApp;
    const clock = new ManualClock();
    const workers: Worker[] = [];

    beforeAll(async () => {
      t = await startTestApp({ DATABASE_POOL_SIZE: '4' }, { clock });
      const structure = await seedStructure(t, 'France Services de Lure', '21700550300016');
      for (let i = 0; i < AIDANTS; i += 1) {
        const email = `aidant${i}@example.fr`;
        const id = await seedAidant(t, { email, memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
        const agent = browser(t);
        expect((await signIn(agent, clock, email)).status).toBe(303);
        const form = await agent.get('/aidant/mandats/nouveau').expect(200);
        workers.push({ id, email, agent, csrf: csrfOf(form.text), started: 0 });
      }
    });

    afterAll(async () => {
      await t.close();
    });

    it('keeps every session and journals every success', async () => {
      const db = t.app.get(DataSource);
      const sessionsBefore: { sid: string }[] = await db.query(`SELECT sid FROM http_sessions ORDER BY sid`);
      expect(sessionsBefore).toHaveLength(AIDANTS);

      const killer = new pg.Client({ connectionString: t.database.url });
      await killer.connect();
      let terminated = 0;
      let stop = false;
      const statuses = new Map<number, number>();
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

      const blips = (async () => {
        const end = Date.now() + BLIPS_FOR_MS;
        while (Date.now() < end) {
          const { rows } = await killer.query<{ n: string }>(
            `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n
               FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
          );
          terminated += Number(rows[0]!.n);
          await new Promise((resolve) => setTimeout(resolve, BLIP_EVERY_MS));
        }
        stop = true;
      })();
      const load = workers.map(async (worker) => {
        while (!stop) {
          const started = await startWizard(worker);
          count(started);
          if (started === 303) worker.started += 1;
          count((await worker.agent.get('/aidant')).status);
        }
      });
      await Promise.all([blips, ...load]);
      await killer.end();

      const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
      const summary = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
      // For the record, shown with `--reporters=default` and kept out of `npm test`'s summary.
      // eslint-disable-next-line no-console -- the figures are the point of this line
      console.log(`database blips: ${terminated} connections terminated, ${answered} requests answered ${JSON.stringify(summary)}`);
      expect(terminated).toBeGreaterThan(10);
      expect(workers.every((worker) => worker.started > 0)).toBe(true);
      // Only successes, or the temporary error: never a 500, never a sign-out (401 or a redirect to sign in).
      expect([...statuses.keys()].filter((status) => ![200, 303, 503].includes(status))).toEqual([]);

      // Every session survived, with the wizard in progress.
      const sessionsAfter: { sid: string }[] = await db.query(`SELECT sid FROM http_sessions ORDER BY sid`);
      expect(sessionsAfter).toEqual(sessionsBefore);
      for (const worker of workers) {
        expect((await worker.agent.get('/aidant')).status).toBe(200);
        expect((await worker.agent.get('/aidant/mandats/nouveau/franceconnect')).status).toBe(200);
      }

      // No success without its journal entry (an entry without a success is allowed: the answer may be what failed).
      const entries = await journalOf(t, 'mandate.started');
      for (const worker of workers) {
        const journaled = entries.filter((entry) => entry.aidant_id === worker.id || entry.actor_id === worker.id).length;
        expect(journaled).toBeGreaterThanOrEqual(worker.started);
      }
      expect((await journalOf(t, 'aidant.signed_out')).length).toBe(0);
    }, 60_000);
  });
} else {
  describe('database blips on the embedded database: the database becomes unavailable', () => {
    let t: TestApp;
    const clock = new ManualClock();

    beforeAll(async () => {
      t = await startTestApp({}, { clock });
    });

    afterAll(async () => {
      await t.close();
    });

    it('answers a signed-in request with the temporary French error, without signing the person out', async () => {
      const structure = await seedStructure(t, 'France Services de Lure', '21700550300016');
      await seedAidant(t, { email: 'aidant@example.fr', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
      const agent = browser(t);
      expect((await signIn(agent, clock, 'aidant@example.fr')).status).toBe(303);
      expect((await agent.get('/aidant')).status).toBe(200);

      await t.database.makeUnavailable();
      const res = await agent.get('/aidant').set('Accept', 'text/html');
      expect(res.status).toBe(503);
      expect(res.text).toContain('vous êtes toujours connecté');
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.headers['set-cookie']).toBeUndefined();
    }, 30_000);
  });
}
