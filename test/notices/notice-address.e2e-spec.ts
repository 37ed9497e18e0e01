import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { journalOf, seedAidant, seedStructure } from '../support/aidants.js';
import { csrfIn, openMandate, postEntries } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { signInAsUsager, submitForm, usagerBrowser } from '../support/usagers.js';

const FC_EMAIL = 'angela.dubois@example.fr';
const NEW_EMAIL = 'angela.avis@example.org';

/** The usager chooses where and how often to be told, over real HTTP with the FranceConnect simulator. */
describe('notice address: chosen in /usager, confirmed by a link', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function lastLink(recipient: string): Promise<string> {
    const [mail]: Array<{ body: string }> = await db.query(
      `SELECT body FROM mail_outbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1`,
      [recipient],
    );
    const match = /(http\S+\/usager\/prevenu\/confirmation\?jeton=\S+)/.exec(mail?.body ?? '');
    if (!match) throw new Error(`no confirmation link mailed to ${recipient}`);
    return match[1]!;
  }

  it('asks for a confirmed address before any notice, and queues the next event’s notice once confirmed', async () => {
    const browser = usagerBrowser();
    const space = await signInAsUsager(t, browser, 'angela');
    expect(space.html).toContain('Être prévenu');
    expect(space.html).toContain('href="/usager/prevenu"');
    const usagerId: string = (await db.query(`SELECT id FROM usagers WHERE email = $1`, [FC_EMAIL]))[0].id;

    const form = await browser.get(`${t.url}/usager/prevenu`);
    expect(form.status).toBe(200);
    expect(form.html).toContain('Être prévenu');
    expect(form.html).toContain(`value="${FC_EMAIL}"`); // FranceConnect's address, pre-filled

    // Bad input: French messages, nothing written.
    const refused = await postEntries(browser, `${t.url}/usager/prevenu`, [
      ['_csrf', csrfIn(form)],
      ['email', 'pas-une-adresse'],
      ['frequence', 'parfois'],
    ]);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Saisissez une adresse électronique valide');
    expect(refused.html).toContain('Choisissez une des trois possibilités proposées.');
    expect(await db.query(`SELECT * FROM notice_address_tokens`)).toHaveLength(0);

    // Without the CSRF token: refused.
    const forged = await postEntries(browser, `${t.url}/usager/prevenu`, [['email', NEW_EMAIL], ['frequence', 'each']]);
    expect(forged.status).toBe(403);

    const sent = await postEntries(browser, `${t.url}/usager/prevenu`, [
      ['_csrf', csrfIn(form)],
      ['email', ` ${NEW_EMAIL.toUpperCase()} `],
      ['frequence', 'each'],
    ]);
    expect(sent.status).toBe(200);
    expect(new URL(sent.url).search).toBe('?lien=1');
    expect(sent.html).toContain(`Un lien de confirmation vient d’être envoyé à ${NEW_EMAIL}`);
    const [token]: Array<{ token_hash: string }> = await db.query(`SELECT token_hash FROM notice_address_tokens WHERE usager_id = $1`, [usagerId]);
    expect(token!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await db.query(`SELECT * FROM notice_addresses`)).toHaveLength(0);

    // Not confirmed yet: an event queues nothing.
    const structure = await seedStructure(t, 'CCAS des Avis', '21700550300016');
    const aidantId = await seedAidant(t, { email: 'aidant.avis@test.example', memberships: [{ structureId: structure.id, roles: ['aidant'] }] });
    await openMandate(t, { aidantId, structureId: structure.id, usagerId, demarches: ['social'] });
    expect(await db.query(`SELECT * FROM notices`)).toHaveLength(0);

    const link = await lastLink(NEW_EMAIL);
    expect(link).not.toContain(token!.token_hash);
    // The link is opened in another browser (the mailbox's): no sign-in needed.
    const other = usagerBrowser();
    const confirmPage = await other.get(link);
    expect(confirmPage.status).toBe(200);
    expect(confirmPage.html).toContain(NEW_EMAIL);
    const confirmed = await submitForm(other, confirmPage, '/usager/prevenu/confirmation');
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain('Adresse confirmée');
    expect(await db.query(`SELECT email, mode, confirmed_at IS NOT NULL AS confirmed FROM notice_addresses WHERE usager_id = $1`, [usagerId])).toEqual([
      { email: NEW_EMAIL, mode: 'each', confirmed: true },
    ]);
    const journaled = await journalOf(t, 'notice_address.confirmed');
    expect(journaled).toHaveLength(1);
    expect(journaled[0]).toMatchObject({ actor_type: 'usager', usager_id: usagerId, details: { mode: 'each' } });
    expect(journaled[0]!.details.addressHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(journaled)).not.toContain(NEW_EMAIL);
    expect(JSON.stringify(journaled)).not.toContain(new URL(link).searchParams.get('jeton'));

    // Single use.
    const again = await other.get(link);
    expect(again.status).toBe(410);
    expect(again.html).toContain('Ce lien de confirmation n’est plus valable');

    // Now the usager's revocation from /usager queues a notice, in the revocation's transaction.
    const mandate = await openMandate(t, { aidantId, structureId: structure.id, usagerId, demarches: ['logement'] });
    const confirmation = await browser.get(`${t.url}/usager/mandats/${mandate.id}/revocation`);
    const revoked = await submitForm(browser, confirmation, `/usager/mandats/${mandate.id}/revocation`);
    expect(revoked.status).toBe(200);
    const queued: Array<{ kind: string; recipient: string }> = await db.query(`SELECT kind, recipient FROM notices ORDER BY created_at, id`);
    expect(queued).toEqual([
      { kind: 'mandate_created', recipient: NEW_EMAIL },
      { kind: 'revocation', recipient: NEW_EMAIL },
    ]);
  });

  it('refuses an unknown or expired link with one French page', async () => {
    const unknown = await usagerBrowser().get(`${t.url}/usager/prevenu/confirmation?jeton=inconnu`);
    expect(unknown.status).toBe(410);
    expect(unknown.html).toContain('Ce lien de confirmation n’est plus valable');

    const browser = usagerBrowser();
    await signInAsUsager(t, browser, 'angela');
    const form = await browser.get(`${t.url}/usager/prevenu`);
    await postEntries(browser, `${t.url}/usager/prevenu`, [['_csrf', csrfIn(form)], ['email', 'autre.avis@example.org'], ['frequence', 'daily']]);
    const link = await lastLink('autre.avis@example.org');
    await db.query(`UPDATE notice_address_tokens SET expires_at = now() - interval '1 minute' WHERE email = 'autre.avis@example.org'`);
    const expired = await usagerBrowser().get(link);
    expect(expired.status).toBe(410);
    // The address confirmed before stays in use.
    expect((await db.query(`SELECT email FROM notice_addresses`))[0].email).toBe(NEW_EMAIL);

    // Five links a day at most: the page cannot flood a mailbox.
    for (let i = 0; i < 3; i += 1) {
      const page = await postEntries(browser, `${t.url}/usager/prevenu`, [['_csrf', csrfIn(form)], ['email', `essai${i}@example.org`], ['frequence', 'each']]);
      expect(page.status).toBe(200);
    }
    const tokensBefore = await db.query(`SELECT * FROM notice_address_tokens`);
    const refused = await postEntries(browser, `${t.url}/usager/prevenu`, [['_csrf', csrfIn(form)], ['email', 'une.de.trop@example.org'], ['frequence', 'each']]);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Vous avez demandé 5 liens de confirmation en 24 heures');
    expect(await db.query(`SELECT * FROM notice_address_tokens`)).toHaveLength(tokensBefore.length);
    expect(await db.query(`SELECT * FROM mail_outbox WHERE recipient = 'une.de.trop@example.org'`)).toHaveLength(0);
  });
});
