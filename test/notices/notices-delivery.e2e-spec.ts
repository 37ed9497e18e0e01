import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { SmtpMailer } from '../../src/mail/mailer.js';
import { MandateRevocationService } from '../../src/mandates/mandate-revocation.service.js';
import { NoticeSender } from '../../src/notices/notice-sender.js';
import { NoticesJob } from '../../src/notices/notices.job.js';
import { freeLoopbackPort } from '../../src/shared/loopback.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, totpAt, TEST_PASSWORD } from '../support/aidants.js';
import { backdateMandate, openMandate } from '../support/mandates.js';
import { createUsager, partnerClient, pathOf, registerPartner, startAuthorization, startProviderTestApp, uidOf } from '../support/provider.js';
import { SmtpSink } from '../support/smtp-sink.js';
import type { TestApp } from '../support/test-app.js';

const REDIRECT = 'https://logement.example/callback';
const ALICE_MAIL = 'alice.notices@example.org';

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
      leaseMs: 300,
      afterSend: () => {
        throw new Error('runner killed after the send');
      },
    });
    await expect(dying.drain()).rejects.toThrow('runner killed after the send');
    expect((await outbox(ALICE_MAIL)).length).toBe(mailsBefore + 1);
    expect((await notices()).find((n) => n.id === notice!.id)).toMatchObject({ status: 'sending', attempts: 1 });

    // While the lease holds, no other runner takes it.
    expect(await job.runner().drain()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
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

  it('stops at a permanent refusal: the notice failed, the address marked, nothing more queued for it', async () => {
    const bob = await createUsager(t, { givenName: 'Bob', familyName: 'Martin' });
    await db.query(`INSERT INTO notice_addresses (usager_id, email, mode, confirmed_at) VALUES ($1, 'bob@bounce.example', 'each', now())`, [bob]);
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: bob, demarches: ['papiers'] });
    const [notice] = (await notices()).filter((n) => n.status === 'pending');
    const sink = await SmtpSink.start(0, { refuseRecipients: true });
    const mailer = new SmtpMailer(sink.url, 'Procuration <ne-pas-repondre@procuration.test>');
    try {
      const sender = new NoticeSender(t.app.get(TransactionRunner), t.app.get(JournalService), mailer, { publicUrl: t.config.publicUrl, leaseMs: 60_000 });
      expect(await sender.drain()).toBe(0);
      expect(await sender.drain()).toBe(0);
    } finally {
      mailer.close();
      await sink.close();
    }
    expect((await notices()).find((n) => n.id === notice!.id)).toMatchObject({ status: 'failed', attempts: 1 });
    const [address]: Array<{ bounced: boolean }> = await db.query(`SELECT bounced_at IS NOT NULL AS bounced FROM notice_addresses WHERE usager_id = $1`, [bob]);
    expect(address!.bounced).toBe(true);
    expect((await journalOf(t, 'notice.failed')).at(-1)).toMatchObject({ usager_id: bob, details: { noticeId: notice!.id, smtpCode: 550 } });
    await openMandate(t, { aidantId, structureId: structure.id, usagerId: bob, demarches: ['justice'] });
    expect((await notices()).filter((n) => n.status === 'pending')).toHaveLength(0);
  });

  it('reminds each active aidant of the structure once a week of long and semester mandates ending within 30 days', async () => {
    const long = await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['logement'], duration: 'long' });
    await backdateMandate(t, long.id, 350);
    const short = await openMandate(t, { aidantId, structureId: structure.id, usagerId: alice, demarches: ['loisirs'], duration: 'mois' });
    await backdateMandate(t, short.id, 20);
    await drain();

    await Promise.all([job.scan(), job.scan()]);
    await job.scan();
    const reminders = await notices('structure_reminder');
    expect(reminders.map((r) => r.recipient).sort()).toEqual(['karim@test.example', 'lea@test.example']);
    const listed = reminders[0]!.facts.mandates as Array<{ id: string }>;
    expect(listed.map((m) => m.id)).toContain(long.id);
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
    expect((await notices('expiring')).filter((n) => (n.facts.demarches as string[]).includes('logement'))).toHaveLength(1);
  });
});
