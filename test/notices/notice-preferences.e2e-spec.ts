import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { NoticesJob } from '../../src/notices/notices.job.js';
import { journalOf, seedAidant, seedStructure } from '../support/aidants.js';
import { csrfIn, openMandate, postEntries } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, submitForm, usagerBrowser } from '../support/usagers.js';

const FIRST_EMAIL = 'angela.premiere@example.org';
const SECOND_EMAIL = 'angela.seconde@example.org';
const UNCONFIRMED_EMAIL = 'angela.pas.confirmee@example.org';
const CREATED_SUBJECT = 'Procuration : un mandat a été créé en votre nom';

/**
 * The usager's choice honoured when a notice is sent, not only when it is
 * queued: a notice waiting in the queue follows the address confirmed
 * since, and none goes out after "none". Over real HTTP, the real queue
 * and the development outbox.
 */
describe('notice preferences: honoured at send time', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let db: DataSource;
  let job: NoticesJob;
  let browser: ReturnType<typeof usagerBrowser>;
  let usagerId: string;
  let structureId: string;
  let aidantId: string;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    db = t.app.get(DataSource);
    job = t.app.get(NoticesJob);
    // The test drains the queue itself, at the moments it chooses.
    await job.stop();
    browser = usagerBrowser();
    await signInAsUsager(t, browser, 'angela');
    usagerId = (await db.query(`SELECT id FROM usagers WHERE email = 'angela.dubois@example.fr'`))[0].id;
    const structure = await seedStructure(t, 'CCAS des Préférences', '21700550300016');
    structureId = structure.id;
    aidantId = await seedAidant(t, { email: 'aidant.preferences@test.example', memberships: [{ structureId, roles: ['aidant'] }] });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function choose(email: string, frequence: 'each' | 'daily' | 'none'): Promise<void> {
    const form = await browser.get(`${t.url}/usager/prevenu`);
    const page = await postEntries(browser, `${t.url}/usager/prevenu`, [['_csrf', csrfIn(form)], ['email', email], ['frequence', frequence]]);
    expect(page.status).toBe(200);
  }

  async function confirm(email: string): Promise<void> {
    const [mail]: Array<{ body: string }> = await db.query(`SELECT body FROM mail_outbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1`, [email]);
    const link = /(http\S+\/usager\/prevenu\/confirmation\?jeton=\S+)/.exec(mail?.body ?? '')![1]!;
    const other = usagerBrowser();
    const page = await other.get(link);
    expect((await submitForm(other, page, '/usager/prevenu/confirmation')).html).toContain('Adresse confirmée');
  }

  async function noticeMails(email: string): Promise<string[]> {
    const rows: Array<{ subject: string }> = await db.query(
      `SELECT subject FROM mail_outbox WHERE recipient = $1 AND subject NOT LIKE '%confirm%' ORDER BY created_at, id`,
      [email],
    );
    return rows.map((r) => r.subject);
  }

  async function noticeById(id: string): Promise<{ status: string; recipient: string; last_error: string | null }> {
    return (await db.query(`SELECT status, recipient, last_error FROM notices WHERE id = $1`, [id]))[0];
  }

  async function lastNoticeId(): Promise<string> {
    return (await db.query(`SELECT id FROM notices ORDER BY created_at DESC, id DESC LIMIT 1`))[0].id;
  }

  it('sends a notice queued before a new address was confirmed to the new address, not the old one', async () => {
    await choose(FIRST_EMAIL, 'each');
    await confirm(FIRST_EMAIL);
    await openMandate(t, { aidantId, structureId, usagerId, demarches: ['social'] });
    const waiting = await lastNoticeId();
    expect((await noticeById(waiting)).recipient).toBe(FIRST_EMAIL);

    // A new address asked for but not confirmed yet: the confirmed one stays in use.
    await choose(UNCONFIRMED_EMAIL, 'each');
    await job.runner().drain();
    expect(await noticeMails(FIRST_EMAIL)).toEqual([CREATED_SUBJECT]);
    expect(await noticeMails(UNCONFIRMED_EMAIL)).toEqual([]);

    await openMandate(t, { aidantId, structureId, usagerId, demarches: ['logement'] });
    const queuedForFirst = await lastNoticeId();
    await choose(SECOND_EMAIL, 'each');
    await confirm(SECOND_EMAIL);
    await job.runner().drain();

    expect(await noticeById(queuedForFirst)).toMatchObject({ status: 'sent', recipient: SECOND_EMAIL });
    expect(await noticeMails(SECOND_EMAIL)).toEqual([CREATED_SUBJECT]);
    expect(await noticeMails(FIRST_EMAIL)).toEqual([CREATED_SUBJECT]);
  });

  it('sends nothing more after "none": waiting notices are dropped, each journaled without the address', async () => {
    await openMandate(t, { aidantId, structureId, usagerId, demarches: ['travail'] });
    const waiting = await lastNoticeId();
    await choose(SECOND_EMAIL, 'none');
    await job.runner().drain();

    expect(await noticeById(waiting)).toMatchObject({ status: 'failed', recipient: SECOND_EMAIL, last_error: 'opted out' });
    expect(await noticeMails(SECOND_EMAIL)).toEqual([CREATED_SUBJECT]);
    const failed = (await journalOf(t, 'notice.failed')).filter((e) => e.details.noticeId === waiting);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ usager_id: usagerId, details: { reason: 'opted_out', smtpCode: null, kind: 'mandate_created' } });
    expect(JSON.stringify(await journalOf(t, 'notice.failed'))).not.toContain('@');
    // Nothing is tried again.
    await job.runner().drain();
    expect(await noticeMails(SECOND_EMAIL)).toEqual([CREATED_SUBJECT]);
  });

  it('drops a waiting notice when the confirmed address has since bounced and no other is confirmed', async () => {
    await choose(SECOND_EMAIL, 'each');
    await openMandate(t, { aidantId, structureId, usagerId, demarches: ['famille'] });
    const waiting = await lastNoticeId();
    await db.query(`UPDATE notice_addresses SET bounced_at = now() WHERE usager_id = $1`, [usagerId]);
    await job.runner().drain();
    expect(await noticeById(waiting)).toMatchObject({ status: 'failed', last_error: 'no address' });
    const failed = (await journalOf(t, 'notice.failed')).filter((e) => e.details.noticeId === waiting);
    expect(failed[0]).toMatchObject({ details: { reason: 'no_address' } });
    await db.query(`UPDATE notice_addresses SET bounced_at = NULL WHERE usager_id = $1`, [usagerId]);
  });

  it('still sends the notices about the past after the usager revokes the mandate', async () => {
    const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['justice'] });
    const confirmation = await browser.get(`${t.url}/usager/mandats/${mandate.id}/revocation`);
    expect((await submitForm(browser, confirmation, `/usager/mandats/${mandate.id}/revocation`)).status).toBe(200);
    await job.runner().drain();
    expect((await noticeMails(SECOND_EMAIL)).slice(-2)).toEqual([CREATED_SUBJECT, 'Procuration : un mandat a été révoqué']);
  });
});
