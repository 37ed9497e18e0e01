import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { SmtpMailer } from '../../src/mail/mailer.js';
import { MandateRevocationService } from '../../src/mandates/mandate-revocation.service.js';
import { NoticeQueueService } from '../../src/notices/notice-queue.service.js';
import { queueExpiringNotices } from '../../src/notices/notice-scan.js';
import { NoticeSender } from '../../src/notices/notice-sender.js';
import { NoticesJob } from '../../src/notices/notices.job.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { backdateMandate, openMandate } from '../support/mandates.js';
import { createUsager, partnerClient, pathOf, registerPartner, startAuthorization, startProviderTestApp, uidOf } from '../support/provider.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { LEASE_MS, leaseRunOut } from './lease.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT = 'https://logement.example/callback';
const ALICE_MAIL = 'alice.notices@example.org';
const BOB_MAIL = 'bob@bounce.example';
const CAROL_MAIL = 'carole.notices@example.org';

interface NoticeRow {
  id: string;
  kind: string;
  status: string;
  digest: boolean;
  attempts: number;
  recipient: string;
  facts: Record<string, unknown>;
  next_attempt_at: Date;
  last_error: string | null;
}

/**
 * Notices over the real parts: events made through the mandates services,
 * the partner sign-in over HTTP, the queue in the test database, mails in
 * the development outbox or through a real SMTP exchange on loopback.
 */
describe('notices: queued with their event, delivered once', () => {
  const clock = new ManualClock(new Date());
  let t: TestApp;
  let db: DataSource;
  let job: NoticesJob;
  let structure: { id: string; name: string };
  let aidantId: string;
  let alice: string;
  let client: oidc.Configuration;

  beforeAll(async () => {
    t = await startProviderTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' }, { clock });
    db = t.app.get(DataSource);
    job = t.app.get(NoticesJob);
    // The test drives the runners itself: this instance's timer stops.
    await job.stop();
    structure = await seedStructure(t, 'Médiathèque des Avis', '21700550300016');
    aidantId = await seedAidant(t, { email: 'karim@test.example', givenName: 'Karim', familyName: 'Benali', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'lea@test.example', givenName: 'Léa', familyName: 'Roux', memberships: [{ structureId: structure.id, roles: ['aidant', 'referent'] }] });
    alice = await createUsager(t, { givenName: 'Alice Marie', familyName: 'Durand', email: 'alice@example.org' });
    // The confirmation over HTTP is the other suite's; here the address is confirmed already.
    await db.query(`INSERT INTO notice_addresses (usager_id, email, mode, confirmed_at) VALUES ($1, $2, 'each', now())`, [alice, ALICE_MAIL]);
    const { partner, secret } = await registerPartner(t, { name: 'Service logement', redirectUris: [REDIRECT], demarches: ['logement', 'social'] });
    client = await partnerClient(t.url, partner.clientId, secret!);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function notices(kind?: string): Promise<NoticeRow[]> {
    return db.query(`SELECT * FROM notices WHERE ($1::text IS NULL OR kind = $1) ORDER BY created_at, id`, [kind ?? null]);
  }

  async function outbox(recipient: string): Promise<Array<{ subject: string; body: string }>> {
    return db.query(`SELECT subject, body FROM mail_outbox WHERE recipient = $1 ORDER BY created_at, id`, [recipient]);
  }

  async function drain(): Promise<void> {
    await job.runner().drain();
  }

  it('queues a notice when a mandate is opened in the usager’s name, in the same transaction', async () => {
    const before = (await notices('mandate_created')).length;
    // A failed transaction leaves no notice behind.
    await expect(
      t.app.get(TransactionRunner).run(async (m) => {
        await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement'] }, m);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await notices('mandate_created')).toHaveLength(before);

    const mandate = await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement', 'social'], duration: 'long' });
    const queued = await notices('mandate_created');
    expect(queued).toHaveLength(before + 1);
    expect(queued.at(-1)).toMatchObject({ status: 'pending', recipient: ALICE_MAIL, facts: { structure: 'Médiathèque des Avis', aidant: 'Karim Benali', demarches: expect.arrayContaining(['logement', 'social']) } });
    const journaled = await journalOf(t, 'notice.queued');
    expect(journaled.at(-1)).toMatchObject({ usager_id: alice, mandate_id: mandate.id, details: { noticeId: queued.at(-1)!.id, kind: 'mandate_created' } });
    expect(JSON.stringify(journaled)).not.toContain(ALICE_MAIL);

    await drain();
    const mails = await outbox(ALICE_MAIL);
    expect(mails.at(-1)!.subject).toBe('Procuration : un mandat a été créé en votre nom');
    expect(mails.at(-1)!.body).toMatch(/Karim Benali \(Médiathèque des Avis\) a créé un mandat en votre nom pour les démarches : .*Logement/);
    expect(mails.at(-1)!.body).toContain(`${t.config.publicUrl}/usager`);
    expect(mails.at(-1)!.body).toContain('Pour révoquer un mandat');
    expect((await notices('mandate_created')).at(-1)!.status).toBe('sent');
    expect((await journalOf(t, 'notice.sent')).at(-1)).toMatchObject({ details: { noticeId: queued.at(-1)!.id, attempts: 1 } });
  });

  let agent: ReturnType<typeof browser> | undefined;
  /** Karim signs in at the partner for Alice and the démarche, over HTTP, as the provider suites do. */
  async function useAtPartner(demarche: string): Promise<void> {
    if (!agent) {
      agent = browser(t);
      const page = await agent.get('/aidant/connexion').expect(200);
      await agent.post('/aidant/connexion').type('form').send({ _csrf: csrfOf(page.text), email: 'karim@test.example', password: TEST_PASSWORD, totp: totpAt(clock) }).expect(303);
    }
    const start = await startAuthorization(client, REDIRECT);
    const uid = uidOf((await agent.get(pathOf(start.url)).expect(303)).headers.location!);
    await agent.get(`/partenaires/connexion/${uid}`).expect(303);
    const recap = await agent.get(`/partenaires/connexion/${uid}/confirmation?usager=${alice}&demarche=${demarche}`).expect(200);
    await agent.post(`/partenaires/connexion/${uid}/confirmation`).type('form').send({ _csrf: csrfOf(recap.text), usager: alice, demarche }).expect(200);
  }

  it('queues a notice for a use by an aidant at a partner: who, structure, partner, démarche, when', async () => {
    await useAtPartner('logement');

    const uses = await notices('use');
    expect(uses).toHaveLength(1);
    expect(uses[0]).toMatchObject({ status: 'pending', facts: { aidant: 'Karim Benali', structure: 'Médiathèque des Avis', partner: 'Service logement', demarche: 'logement' } });
    expect(typeof uses[0]!.facts.at).toBe('string');
    await drain();
    const mail = (await outbox(ALICE_MAIL)).at(-1)!;
    expect(mail.subject).toBe('Procuration : un mandat a été utilisé en votre nom');
    expect(mail.body).toMatch(/Karim Benali \(Médiathèque des Avis\) a utilisé votre mandat auprès de Service logement pour la démarche « Logement »/);
  });

  it('queues a notice for a revocation', async () => {
    const mandate = await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['famille'] });
    await t.app.get(TransactionRunner).run((m) =>
      t.app.get(MandateRevocationService).revoke(m, { mandateId: mandate.id, by: { type: 'aidant', aidantId, structureId: structure.id }, reason: 'fin_accompagnement' }),
    );
    const revocations = await notices('revocation');
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({ status: 'pending', facts: { by: 'aidant', structure: 'Médiathèque des Avis' } });
    await drain();
    expect((await outbox(ALICE_MAIL)).at(-1)!.subject).toBe('Procuration : un mandat a été révoqué');
  });

  it('delivers each notice once when two runners drain the queue at the same time', async () => {
    for (let i = 0; i < 6; i += 1) await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['travail'] });
    const pending = (await notices()).filter((n) => n.status === 'pending');
    expect(pending).toHaveLength(6);
    const mailsBefore = (await outbox(ALICE_MAIL)).length;
    const [a, b] = await Promise.all([job.runner({ batch: 2 }).drain(), job.runner({ batch: 2 }).drain()]);
    expect(a + b).toBe(6);
    expect((await outbox(ALICE_MAIL)).length).toBe(mailsBefore + 6);
    const sent = await journalOf(t, 'notice.sent');
    for (const notice of pending) expect(sent.filter((e) => e.details.noticeId === notice.id)).toHaveLength(1);
    expect((await notices()).every((n) => n.status === 'sent')).toBe(true);
  });

  it('sends again at most once after a runner died between the send and the mark', async () => {
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['transports'] });
    const [notice] = (await notices()).filter((n) => n.status === 'pending');
    const mailsBefore = (await outbox(ALICE_MAIL)).length;
    const dying = job.runner({
      leaseMs: LEASE_MS,
      afterSend: () => {
        throw new Error('runner killed after the send');
      },
    });
    await expect(dying.drain()).rejects.toThrow('runner killed after the send');
    expect((await outbox(ALICE_MAIL)).length).toBe(mailsBefore + 1);
    expect((await notices()).find((n) => n.id === notice!.id)).toMatchObject({ status: 'sending', attempts: 1 });

    // While the lease holds, no other runner takes it.
    expect(await job.runner().drain()).toBe(0);
    await leaseRunOut(db, notice!.id);
    expect(await job.runner().drain()).toBe(1);
    expect(await job.runner().drain()).toBe(0);
    expect((await outbox(ALICE_MAIL)).length).toBe(mailsBefore + 2);
    expect((await notices()).find((n) => n.id === notice!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect((await journalOf(t, 'notice.sent')).filter((e) => e.details.noticeId === notice!.id)).toHaveLength(1);
  });

  it('keeps notices while the SMTP server is down and delivers them when it is back', async () => {
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['argent'] });
    const [notice] = (await notices()).filter((n) => n.status === 'pending');
    const port = await freeLoopbackPort();
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${port}`, 'Procuration <ne-pas-repondre@procuration.test>');
    const sender = (): NoticeSender => new NoticeSender(t.app.get(TransactionRunner), t.app.get(JournalService), mailer, { publicUrl: t.config.publicUrl, leaseMs: 60_000 });
    try {
      expect(await sender().drain()).toBe(0);
      const waiting = (await notices()).find((n) => n.id === notice!.id)!;
      expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
      expect(waiting.last_error).toBeTruthy();
      expect(new Date(waiting.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 20_000);
      // Not due yet: a run does not touch it.
      expect(await sender().drain()).toBe(0);
      expect((await notices()).find((n) => n.id === notice!.id)!.attempts).toBe(1);

      const sink = await SmtpSink.start(port);
      try {
        // The back-off has passed.
        await db.query(`UPDATE notices SET next_attempt_at = now() WHERE id = $1`, [notice!.id]);
        expect(await sender().drain()).toBe(1);
        expect(sink.mails).toHaveLength(1);
        expect(sink.mails[0]!.to).toEqual([`<${ALICE_MAIL}>`]);
        expect(sink.mails[0]!.data).toContain('Subject:');
        expect(await sender().drain()).toBe(0);
        expect(sink.mails).toHaveLength(1);
        expect((await notices()).find((n) => n.id === notice!.id)).toMatchObject({ status: 'sent', attempts: 2 });
      } finally {
        await sink.close();
      }
    } finally {
      mailer.close();
    }
  });

  it('groups the uses of a usager who chose the daily summary in one mail, the next morning', async () => {
    await db.query(`UPDATE notice_addresses SET mode = 'daily' WHERE usager_id = $1`, [alice]);
    const before = (await notices('use')).length;
    await useAtPartner('logement');
    await useAtPartner('social');
    const uses = (await notices('use')).slice(before);
    expect(uses).toHaveLength(2);
    for (const use of uses) {
      expect(use).toMatchObject({ status: 'pending', digest: true });
      expect(new Date(use.next_attempt_at).getTime()).toBeGreaterThan(Date.now());
    }
    const mailsBefore = (await outbox(ALICE_MAIL)).length;
    await drain();
    expect((await outbox(ALICE_MAIL)).length).toBe(mailsBefore); // not before the morning
    await db.query(`UPDATE notices SET next_attempt_at = now() WHERE id = ANY($1)`, [uses.map((u) => u.id)]);
    await drain();
    const mails = (await outbox(ALICE_MAIL)).slice(mailsBefore);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Procuration : résumé des utilisations de vos mandats');
    expect(mails[0]!.body).toContain('Voici les 2 utilisations de vos mandats');
    expect(mails[0]!.body).toContain('« Logement »');
    expect(mails[0]!.body).toContain('« Social – Santé »');
    expect((await journalOf(t, 'notice.sent')).filter((e) => uses.some((u) => u.id === e.details.noticeId))).toHaveLength(2);
    await db.query(`UPDATE notice_addresses SET mode = 'each' WHERE usager_id = $1`, [alice]);
  });

  it('stops at a permanent refusal: the notice failed, the address marked, its other notices dropped and journaled, none retried', async () => {
    const bob = await createUsager(t, { givenName: 'Bob', familyName: 'Martin' });
    await db.query(`INSERT INTO notice_addresses (usager_id, email, mode, confirmed_at) VALUES ($1, $2, 'each', now())`, [bob, BOB_MAIL]);
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: bob, demarches: ['papiers'] });
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: bob, demarches: ['etranger'] });
    const queued = (await notices()).filter((n) => n.status === 'pending');
    expect(queued).toHaveLength(2);
    const sink = await SmtpSink.start(0, { refuseRecipients: true });
    const mailer = new SmtpMailer(sink.url, 'Procuration <ne-pas-repondre@procuration.test>');
    try {
      // One notice per claim: the first bounces while the second still waits in the queue.
      const sender = new NoticeSender(t.app.get(TransactionRunner), t.app.get(JournalService), mailer, { publicUrl: t.config.publicUrl, leaseMs: 60_000, batch: 1 });
      expect(await sender.drain()).toBe(0);
      expect(await sender.drain()).toBe(0);
    } finally {
      mailer.close();
      await sink.close();
    }
    expect(sink.refused).toBe(1); // one RCPT refused: the second notice was never tried
    const after = (await notices()).filter((n) => queued.some((q) => q.id === n.id));
    expect(after.map((n) => n.status)).toEqual(['failed', 'failed']);
    const [bounced, dropped] = [after.find((n) => n.attempts === 1)!, after.find((n) => n.attempts === 0)!];
    expect(dropped.last_error).toBe('address bounced');
    const [address]: Array<{ bounced: boolean }> = await db.query(`SELECT bounced_at IS NOT NULL AS bounced FROM notice_addresses WHERE usager_id = $1`, [bob]);
    expect(address!.bounced).toBe(true);

    // Each notice has its own notice.failed entry; the address is never in clear.
    const failed = (await journalOf(t, 'notice.failed')).filter((e) => e.usager_id === bob);
    expect(failed).toHaveLength(2);
    expect(failed.find((e) => e.details.noticeId === bounced.id)).toMatchObject({ details: { smtpCode: 550, reason: 'refused', attempts: 1 } });
    expect(failed.find((e) => e.details.noticeId === dropped.id)).toMatchObject({ details: { smtpCode: null, reason: 'address_bounced', attempts: 0 } });
    expect(JSON.stringify(failed)).not.toContain(BOB_MAIL);

    // Retried no more: even with a server that would accept it now, nothing leaves for that address.
    const healthy = await SmtpSink.start(0);
    const healthyMailer = new SmtpMailer(healthy.url, 'Procuration <ne-pas-repondre@procuration.test>');
    try {
      await db.query(`UPDATE notices SET next_attempt_at = now() - interval '1 day' WHERE usager_id = $1`, [bob]);
      const sender = new NoticeSender(t.app.get(TransactionRunner), t.app.get(JournalService), healthyMailer, { publicUrl: t.config.publicUrl, leaseMs: 60_000 });
      expect(await sender.drain()).toBe(0);
      expect(healthy.mails).toHaveLength(0);
    } finally {
      healthyMailer.close();
      await healthy.close();
    }
    // Nor is anything queued for it: neither the next event nor the calendar's "ends within 30 days".
    const ending = await openMandate(t, { aidantId, structureId: structure.id, usagerId: bob, demarches: ['justice'], duration: 'long' });
    await backdateMandate(t, ending.id, 350);
    await t.app.get(TransactionRunner).run((m) => queueExpiringNotices(m, t.app.get(NoticeQueueService)));
    expect((await notices()).filter((n) => n.recipient === BOB_MAIL && n.status !== 'failed')).toHaveLength(0);
  });

  it('still sends a notice queued before the usager revoked all their mandates: it tells the past', async () => {
    const carol = await createUsager(t, { givenName: 'Carole', familyName: 'Petit' });
    await db.query(`INSERT INTO notice_addresses (usager_id, email, mode, confirmed_at) VALUES ($1, $2, 'each', now())`, [carol, CAROL_MAIL]);
    const mandates = [
      await openMandate(t, { aidantId, structureId: structure.id, usagerId: carol, demarches: ['logement'] }),
      await openMandate(t, { aidantId, structureId: structure.id, usagerId: carol, demarches: ['famille'] }),
    ];
    const created = await notices('mandate_created');
    const queued = created.filter((n) => n.recipient === CAROL_MAIL);
    expect(queued).toHaveLength(2);
    expect(queued.every((n) => n.status === 'pending')).toBe(true);

    for (const mandate of mandates) {
      await t.app.get(TransactionRunner).run((m) =>
        t.app.get(MandateRevocationService).revoke(m, { mandateId: mandate.id, by: { type: 'usager', usagerId: carol }, reason: 'demande_usager' }),
      );
    }
    const [{ live }]: Array<{ live: number }> = await db.query(
      `SELECT count(*)::int AS live FROM autorisations a JOIN mandates m ON m.id = a.mandate_id WHERE m.usager_id = $1 AND a.revoked_at IS NULL`,
      [carol],
    );
    expect(live).toBe(0);

    await drain();
    const mails = await outbox(CAROL_MAIL);
    expect(mails.filter((m) => m.subject === 'Procuration : un mandat a été créé en votre nom')).toHaveLength(2);
    expect(mails.filter((m) => m.subject === 'Procuration : un mandat a été révoqué')).toHaveLength(2);
    expect((await notices()).filter((n) => n.recipient === CAROL_MAIL).every((n) => n.status === 'sent')).toBe(true);
  });

  it('reminds each active aidant of the structure once a week of long and semester mandates ending within 30 days', async () => {
    // A suspended aidant of the structure is not reminded.
    const suspended = await seedAidant(t, { email: 'suspendu@test.example', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    await db.query(`UPDATE memberships SET suspended_at = now() WHERE aidant_id = $1`, [suspended]);
    const long = await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement'], duration: 'long' });
    await backdateMandate(t, long.id, 350);
    const semester = await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['transports'], duration: 'semestre' });
    await backdateMandate(t, semester.id, 170);
    const short = await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['loisirs'], duration: 'mois' });
    await backdateMandate(t, short.id, 20);
    await drain();

    await Promise.all([job.scan(), job.scan()]);
    await job.scan();
    const reminders = await notices('structure_reminder');
    expect(reminders.map((r) => r.recipient).sort()).toEqual(['karim@test.example', 'lea@test.example']);
    const listed = reminders[0]!.facts.mandates as Array<{ id: string }>;
    expect(listed.map((m) => m.id)).toContain(long.id);
    expect(listed.map((m) => m.id)).toContain(semester.id);
    expect(listed.map((m) => m.id)).not.toContain(short.id);
    expect(await db.query(`SELECT count(*)::int AS n FROM structure_reminders`)).toEqual([{ n: 1 }]);

    await drain();
    await job.scan();
    await drain();
    const mails = await outbox('karim@test.example');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.body).toContain(`${t.config.publicUrl}/aidant/mandats/${long.id}/renouvellement`);
    expect(mails[0]!.body).not.toContain(short.id);
    // The usager is told too, once, of the long mandate ending.
    const expiring = await notices('expiring');
    expect(expiring.filter((n) => (n.facts.demarches as string[]).includes('logement'))).toHaveLength(1);
    expect(expiring.filter((n) => (n.facts.demarches as string[]).includes('transports'))).toHaveLength(1);
    // A one-month mandate ending within 30 days is no news: neither the usager nor the structure is told.
    expect(expiring.filter((n) => (n.facts.demarches as string[]).includes('loisirs'))).toHaveLength(0);
    const told = (await outbox(ALICE_MAIL)).filter((m) => m.subject === 'Procuration : un de vos mandats prend bientôt fin');
    expect(told).toHaveLength(2);
    for (const mail of told) {
      expect(mail.body).toContain(`${t.config.publicUrl}/usager`);
      expect(mail.body).toContain('Pour révoquer un mandat');
    }

    // A week later, the mandates still ending: reminded again, once; the usager is not told twice.
    // (This week's reminder rows, written back as last week's.)
    const [{ week, before }]: Array<{ week: string; before: string }> = await db.query(
      `SELECT to_char(week, 'YYYY-MM-DD') AS week, to_char(week - 7, 'YYYY-MM-DD') AS before FROM structure_reminders`,
    );
    await db.query(`UPDATE structure_reminders SET week = week - 7`);
    await db.query(`UPDATE notices SET event_key = replace(event_key, $1, $2) WHERE kind = 'structure_reminder'`, [`:${week}:`, `:${before}:`]);
    await Promise.all([job.scan(), job.scan()]);
    await drain();
    expect(await outbox('karim@test.example')).toHaveLength(2);
    expect(await outbox('lea@test.example')).toHaveLength(2);
    expect(await outbox('suspendu@test.example')).toHaveLength(0);
    expect(await notices('expiring')).toHaveLength(expiring.length);
  });
});
