import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { browser, freshIp, mailedLink, postForm, seedAidant, seedStructure, signIn } from '../support/aidants.js';

async function lockOut(t: TestApp, clock: ManualClock, email: string) {
  const ip = freshIp();
  for (let i = 0; i < 5; i++) await signIn(browser(t), clock, email, { password: 'Mauvais-mot-de-passe', ip });
}

describe('mail without SMTP server: the database outbox, shown in development', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'development', DEMO_SEED: 'false', TRUST_PROXY: 'true' }, { clock });
    const vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'helene@vesoul.test', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps the invitation mail with its link and shows it at /dev/outbox', async () => {
    const agent = browser(t);
    expect((await signIn(agent, clock, 'helene@vesoul.test')).status).toBe(303);
    const res = await postForm(agent, '/structure/aidants', '/structure/aidants/invitation', {
      email: 'noe@vesoul.test',
      givenName: 'Noé',
      familyName: 'Vidal',
      roles: 'aidant',
    });
    expect(res.text).not.toContain('jeton=');
    const link = await mailedLink(t, 'noe@vesoul.test', 'invitation');
    const page = await browser(t).get('/dev/outbox').expect(200);
    expect(page.text).toContain('Procuration : activez votre compte aidant');
    expect(page.text).toContain('noe@vesoul.test');
    expect(page.text).toContain(link);
  });

  it('keeps a lockout notice for the account’s owner', async () => {
    clock.advance(30_000);
    await lockOut(t, clock, 'helene@vesoul.test');
    const rows = await t.app.get(DataSource).query(`SELECT recipient, subject, body FROM mail_outbox WHERE subject LIKE '%bloquée%'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ recipient: 'helene@vesoul.test' });
    expect(rows[0].body).toContain('bloquée jusqu’au');
  });

  it('sends nothing for an unknown email that gets locked', async () => {
    await lockOut(t, clock, 'personne@nulle-part.test');
    const rows = await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM mail_outbox WHERE recipient = 'personne@nulle-part.test'`);
    expect(rows).toEqual([{ n: 0 }]);
  });
});

describe('mail through SMTP', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:10Z'));
  let t: TestApp;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startTestApp({ SMTP_URL: sink.url, TRUST_PROXY: 'true' }, { clock });
    const vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'helene@vesoul.test', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  it('sends the lockout notice to the SMTP server and keeps nothing in the outbox', async () => {
    await lockOut(t, clock, 'helene@vesoul.test');
    expect(sink.mails).toHaveLength(1);
    expect(sink.mails[0]!.to).toEqual(['<helene@vesoul.test>']);
    expect(sink.mails[0]!.data).toContain('Subject: =?UTF-8?');
    expect(await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM mail_outbox`)).toEqual([{ n: 0 }]);
  });

  it('has no /dev/outbox page outside development', async () => {
    await browser(t).get('/dev/outbox').expect(404);
  });
});
