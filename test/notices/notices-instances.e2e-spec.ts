import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { NoticesJob } from '../../src/notices/notices.job.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';
import { journalOf, seedAidant, seedStructure } from '../support/aidants.js';
import { openMandate } from '../support/mandates.js';
import { createSharedTestDatabase, createUsager, startProviderTestApp } from '../support/provider.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { LEASE_MS, leaseRunOut } from './lease.js';
import type { TestApp } from '../support/test-app.js';
import type { TestDatabase } from '../support/test-database.js';

const MAIL = 'denise.instances@example.org';

interface NoticeRow {
  id: string;
  status: string;
  attempts: number;
}

/**
 * Two instances of the application on one database, each with its own
 * notices job, sending through a real SMTP server on loopback (the mails
 * are counted where they arrive, not in the database the instances share).
 */
describe('notices: two instances share the queue', () => {
  const clock = new ManualClock(new Date());
  let database: TestDatabase;
  let sink: SmtpSink;
  let a: TestApp;
  let b: TestApp;
  let db: DataSource;
  let structureId: string;
  let aidantId: string;
  let usagerId: string;

  beforeAll(async () => {
    database = await createSharedTestDatabase();
    sink = await SmtpSink.start(await freeLoopbackPort());
    const env = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DATABASE_POOL_SIZE: '1', SMTP_URL: sink.url };
    a = await startProviderTestApp(env, { clock, database });
    b = await startProviderTestApp(env, { clock, database, issuer: a.url });
    // The test runs the jobs itself, at the moments it chooses.
    await a.app.get(NoticesJob).stop();
    await b.app.get(NoticesJob).stop();
    db = a.app.get(DataSource);
    const structure = await seedStructure(a, 'Maison France Services des Deux Rives', '21700550300016');
    structureId = structure.id;
    aidantId = await seedAidant(a, { email: 'ines@test.example', memberships: [{ structureId, roles: ['aidant'] }] });
    usagerId = await createUsager(a, { givenName: 'Denise', familyName: 'Moreau' });
    await db.query(`INSERT INTO notice_addresses (usager_id, email, mode, confirmed_at) VALUES ($1, $2, 'each', now())`, [usagerId, MAIL]);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await sink?.close();
    await database?.drop();
  });

  /** Lets both instances' journal sequencers finish (the embedded database serves one connection at a time). */
  async function settle(): Promise<void> {
    await a.app.get(JournalService).flush();
    await b.app.get(JournalService).flush();
  }

  async function notices(): Promise<NoticeRow[]> {
    return db.query(`SELECT id, status, attempts FROM notices ORDER BY created_at, id`);
  }

  function mailsTo(address: string): number {
    return sink.mails.filter((mail) => mail.to.includes(`<${address}>`)).length;
  }

  it('delivers each notice once when both instances run their job at the same time', async () => {
    for (const demarches of [['logement'], ['social'], ['travail'], ['famille'], ['argent']] as const) {
      await openMandate(a, { aidantId, structureId, usagerId, demarches: [...demarches] });
    }
    await settle();
    const queued = await notices();
    expect(queued).toHaveLength(5);
    expect(queued.every((n) => n.status === 'pending')).toBe(true);

    const [fromA, fromB] = await Promise.all([a.app.get(NoticesJob).runOnce(), b.app.get(NoticesJob).runOnce()]);
    await settle();
    expect(fromA + fromB).toBe(5);
    expect(mailsTo(MAIL)).toBe(5);
    expect((await notices()).map((n) => [n.status, n.attempts])).toEqual(queued.map(() => ['sent', 1]));
    const sent = await journalOf(a, 'notice.sent');
    for (const notice of queued) expect(sent.filter((e) => e.details.noticeId === notice.id)).toHaveLength(1);

    // Nothing left: another round on either instance sends nothing.
    expect(await b.app.get(NoticesJob).runOnce()).toBe(0);
    expect(await a.app.get(NoticesJob).runOnce()).toBe(0);
    expect(mailsTo(MAIL)).toBe(5);
  });

  it('an instance that dies between the send and the mark: the other sends once more after the lease, journaled once', async () => {
    await openMandate(a, { aidantId, structureId, usagerId, demarches: ['transports'] });
    await settle();
    const [notice] = (await notices()).filter((n) => n.status === 'pending');
    const before = mailsTo(MAIL);

    // Instance A's runner is killed after the server accepted the mail, before it marked it sent.
    const dying = a.app.get(NoticesJob).runner({
      leaseMs: LEASE_MS,
      afterSend: () => {
        throw new Error('instance A killed after the send');
      },
    });
    await expect(dying.drain()).rejects.toThrow('instance A killed after the send');
    expect(mailsTo(MAIL)).toBe(before + 1);
    expect((await notices()).find((n) => n.id === notice!.id)).toMatchObject({ status: 'sending', attempts: 1 });

    // While A's lease holds, B leaves the notice alone; once it has run out, B takes it over.
    expect(await b.app.get(NoticesJob).runOnce()).toBe(0);
    await leaseRunOut(db, notice!.id);
    expect(await b.app.get(NoticesJob).runOnce()).toBe(1);
    await settle();
    expect(await a.app.get(NoticesJob).runOnce()).toBe(0);

    // The one duplicate decision 0800 accepts, and no more; one notice.sent for the notice.
    expect(mailsTo(MAIL)).toBe(before + 2);
    expect((await notices()).find((n) => n.id === notice!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect((await journalOf(a, 'notice.sent')).filter((e) => e.details.noticeId === notice!.id)).toHaveLength(1);
  });
});
