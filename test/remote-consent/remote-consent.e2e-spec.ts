import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { ConsentExpiryJob } from '../../src/remote-consent/consent-expiry.job.js';
import { TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { journalOf, seedAidant, seedStructure, totpAt } from '../support/aidants.js';
import { chooseAtCounter, countRows, csrfIn, postEntries, signInAtCounter } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FOLLOW_ALL, pickIdentity, submitForm } from '../support/usagers.js';

const path = (page: Page) => new URL(page.url).pathname;

/**
 * Remote consent over real HTTP against the FranceConnect simulator: the
 * aidant prepares a request in one browser, the usager answers in another.
 */
describe('remote consent', () => {
  let t: TestApp;
  const clock = new ManualClock();
  let vesoul: string;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    db = t.app.get(DataSource);
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    await seedAidant(t, { email: 'camille@example.fr', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'sam@example.fr', givenName: 'Sam', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
  });
  afterAll(() => t.close());

  async function aidant(email = 'camille@example.fr'): Promise<TestBrowser> {
    const browser = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    expect(path(await signInAtCounter(t, browser, clock, email))).toBe('/aidant');
    return browser;
  }

  /** Wizard step 1, then the remote form: returns the request's page. */
  async function prepare(browser: TestBrowser, fields: { nom: string; prenom: string; naissance: string; email?: string }, demarches = ['logement']): Promise<Page> {
    const consent = await chooseAtCounter(t, browser, demarches, 'mois');
    expect(consent.html).toContain('/aidant/mandats/nouveau/a-distance');
    const form = await browser.get(`${t.url}/aidant/mandats/nouveau/a-distance`);
    expect(form.status).toBe(200);
    clock.advance(30_000);
    return postEntries(browser, `${t.url}/aidant/mandats/nouveau/a-distance`, [
      ['_csrf', csrfIn(form)],
      ['nom', fields.nom],
      ['prenom', fields.prenom],
      ['naissance', fields.naissance],
      ['email', fields.email ?? ''],
      ['totp', totpAt(clock)],
    ]);
  }

  async function mailedConsentPath(recipient: string): Promise<string> {
    const rows: { body: string }[] = await db.query(`SELECT body FROM mail_outbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1`, [recipient]);
    const match = /https?:\/\/[^/\s]+(\/consentement\/[A-Za-z0-9_-]{43})/.exec(rows[0]?.body ?? '');
    if (!match) throw new Error('no consent link mailed');
    return match[1]!;
  }

  function codeOn(page: Page): string {
    const match = /class="consent-code">([A-Z0-9]{4}) ([A-Z0-9]{4})</.exec(page.html);
    if (!match) throw new Error(`no code on ${page.url}`);
    return `${match[1]}${match[2]}`;
  }

  /** The usager's browser: opens the recap by code and returns it. */
  async function openByCode(usager: TestBrowser, code: string): Promise<Page> {
    const form = await usager.get(`${t.url}/consentement`);
    return usager.post(`${t.url}/consentement`, { _csrf: csrfIn(form), code });
  }

  /** From the recap, FranceConnect with a simulator identity: the decision page (or the result on a mismatch). */
  async function identify(usager: TestBrowser, recap: Page, identity: string): Promise<Page> {
    const fc = await submitForm(usager, recap, '/consentement/demande/franceconnect');
    return pickIdentity(usager, fc, identity);
  }

  const consentLineOf = (page: Page) => /<dd class="mandate-consent">([^<]*)<\/dd>/.exec(page.html)?.[1] ?? null;

  const requestIdOf = (page: Page) => /\/aidant\/consentements\/([0-9a-f-]{36})$/.exec(page.url)![1]!;

  it('by email: link from the outbox, FranceConnect on another browser, the mandate created with remote evidence', async () => {
    const browser = await aidant();
    const created = await prepare(browser, { nom: 'Dubois', prenom: 'Angela', naissance: '24/08/1962', email: 'angela@example.fr' }, ['logement', 'argent']);
    expect(path(created)).toMatch(/^\/aidant\/consentements\/[0-9a-f-]{36}$/);
    expect(created.html).toContain('En attente');
    const requestId = requestIdOf(created);
    const link = await mailedConsentPath('angela@example.fr');

    const usager = new TestBrowser(FOLLOW_ALL);
    const recap = await usager.get(`${t.url}${link}`);
    expect(path(recap)).toBe('/consentement/demande');
    expect(recap.html).toContain('Médiathèque de Vesoul');
    expect(recap.html).toContain('Logement');
    expect(recap.html).toContain('révoquer');
    expect(recap.html).toContain('surendettement');
    const mandates = await countRows(t, 'mandates');
    const decision = await identify(usager, recap, 'angela');
    expect(path(decision)).toBe('/consentement/demande/accord');
    expect(await countRows(t, 'mandates')).toBe(mandates);
    const done = await submitForm(usager, decision, '/consentement/demande/accord');
    expect(path(done)).toBe('/consentement/demande/resultat');
    expect(done.html).toContain('Le mandat a été créé');
    expect(await countRows(t, 'mandates')).toBe(mandates + 1);

    const [row] = await db.query(
      `SELECT r.status, r.mandate_id, c.kind, c.remote_channel, c.consent_request_id, c.fc_transaction_id, c.fc_acr, c.id_token_hash, m.opened_by
         FROM consent_requests r JOIN mandates m ON m.id = r.mandate_id JOIN mandate_consents c ON c.id = m.consent_id WHERE r.id = $1`,
      [requestId],
    );
    expect(row).toMatchObject({ status: 'accepted', kind: 'remote', remote_channel: 'email', consent_request_id: requestId, fc_acr: 'eidas1' });
    expect(row.fc_transaction_id).toMatch(/^[0-9a-f-]{36}$/);
    const [{ n: autorisations }] = await db.query(`SELECT count(*)::int AS n FROM autorisations WHERE mandate_id = $1`, [row.mandate_id]);
    expect(autorisations).toBe(2);
    const [{ n: attestations }] = await db.query(`SELECT count(*)::int AS n FROM attestations WHERE mandate_id = $1`, [row.mandate_id]);
    expect(attestations).toBe(1);

    // The aidant sees it accepted, with the mandate.
    const page = await browser.get(`${t.url}/aidant/consentements/${requestId}`);
    expect(page.html).toContain('Acceptée');
    expect(page.html).toContain(`/aidant/mandats/${row.mandate_id}`);
    expect((await browser.get(`${t.url}/aidant/consentements`)).html).toContain('Angela DUBOIS');
    // The mandate page says how the consent was given (the attestation, signed once, does not carry it).
    const mandatePage = await browser.get(`${t.url}/aidant/mandats/${row.mandate_id}`);
    expect(consentLineOf(mandatePage)).toMatch(/^Donné à distance par courriel, le \d{1,2}(er)? \S+ \d{4} à \d{2}:\d{2} \(identification FranceConnect le /);

    // The link served once: opened again, one page that says so, and the refusal journaled.
    const again = await new TestBrowser(FOLLOW_ALL).get(`${t.url}${link}`);
    expect(again.status).toBe(410);
    expect(again.html).toContain('déjà reçu une réponse');

    const entries = await journalOf(t, 'consent_request.created', 'consent_request.sent', 'consent_request.accepted', 'consent_request.access_refused', 'mandate.created');
    const about = entries.filter((e) => e.details.requestId === requestId || e.details.consentRequestId === requestId);
    expect(about.map((e) => e.action)).toEqual([
      'consent_request.created',
      'consent_request.sent',
      'mandate.created',
      'consent_request.accepted',
      'consent_request.access_refused',
    ]);
    expect(about[1]!.details).toMatchObject({ channel: 'email', delivery: 'kept' });
    expect(about[2]!.details).toMatchObject({ consent: 'remote' });
    // Neither the address, nor the token, in clear.
    const text = JSON.stringify(about);
    expect(text).not.toContain('angela@example.fr');
    expect(text).not.toContain(link.slice('/consentement/'.length));
  });

  it('by phone: the code shown once to the aidant, typed by the usager in lower case with a space', async () => {
    const browser = await aidant();
    const created = await prepare(browser, { nom: 'Santoni', prenom: 'Paul-Antoine', naissance: '17/03/1948' });
    const code = codeOn(created);
    expect(created.html).toContain('/consentement');
    // Shown once: the digest alone is kept.
    expect((await browser.get(created.url)).html).not.toContain('consent-code');
    const [stored] = await db.query(`SELECT code_hash, token_hash FROM consent_requests WHERE id = $1`, [requestIdOf(created)]);
    expect(stored.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.code_hash).not.toContain(code);

    const usager = new TestBrowser(FOLLOW_ALL);
    const recap = await openByCode(usager, `${code.slice(0, 4).toLowerCase()} ${code.slice(4)}`);
    expect(path(recap)).toBe('/consentement/demande');
    const decision = await identify(usager, recap, 'paul');
    expect(path(decision)).toBe('/consentement/demande/accord');
    const done = await submitForm(usager, decision, '/consentement/demande/accord');
    expect(done.html).toContain('Le mandat a été créé');
    const [row] = await db.query(`SELECT r.status, c.remote_channel FROM consent_requests r JOIN mandates m ON m.id = r.mandate_id JOIN mandate_consents c ON c.id = m.consent_id WHERE r.id = $1`, [requestIdOf(created)]);
    expect(row).toMatchObject({ status: 'accepted', remote_channel: 'phone' });
    const [{ mandate_id: mandateId }] = await db.query(`SELECT mandate_id FROM consent_requests WHERE id = $1`, [requestIdOf(created)]);
    expect(consentLineOf(await browser.get(`${t.url}/aidant/mandats/${mandateId}`))).toMatch(/^Donné à distance par téléphone avec un code, le /);
  });

  it('another identity at FranceConnect: refused, told to both sides without the identity returned', async () => {
    const browser = await aidant();
    const created = await prepare(browser, { nom: 'Dubois', prenom: 'Angela', naissance: '24/08/1962' });
    const usager = new TestBrowser(FOLLOW_ALL);
    const mandates = await countRows(t, 'mandates');
    const result = await identify(usager, await openByCode(usager, codeOn(created)), 'jeanne');
    expect(path(result)).toBe('/consentement/demande/resultat');
    expect(result.html).toContain('L’identité ne correspond pas');
    expect(await countRows(t, 'mandates')).toBe(mandates);
    const page = await browser.get(created.url);
    expect(page.html).toContain('L’identité ne correspond pas');
    expect(page.html).not.toMatch(/Jeanne|LEF[ÈE]VRE|1937/i);
    const [entry] = (await journalOf(t, 'consent_request.identity_mismatch')).filter((e) => e.details.requestId === requestIdOf(created));
    expect(entry!.details.fields).toEqual(['family_name', 'given_name', 'birthdate']);
    expect(JSON.stringify(entry)).not.toMatch(/Jeanne|LEF[ÈE]VRE/i);
  });

  it('the usager refuses at the recap: no mandate, the aidant sees it refused; one pending request per expected usager', async () => {
    const browser = await aidant();
    const created = await prepare(browser, { nom: 'Diallo', prenom: 'Mamadou', naissance: '30/12/2001' });
    const second = await prepare(browser, { nom: 'DIALLO', prenom: 'mamadou', naissance: '2001-12-30' });
    expect(second.status).toBe(409);
    expect(second.html).toContain('déjà en attente');
    const usager = new TestBrowser(FOLLOW_ALL);
    const recap = await openByCode(usager, codeOn(created));
    const mandates = await countRows(t, 'mandates');
    const done = await submitForm(usager, recap, '/consentement/demande/refus');
    expect(done.html).toContain('Vous avez refusé');
    expect(await countRows(t, 'mandates')).toBe(mandates);
    expect((await browser.get(created.url)).html).toContain('Refusée');
  });

  it('two tabs consenting at once: one mandate, the other told the request was answered', async () => {
    const browser = await aidant();
    const created = await prepare(browser, { nom: 'Roussel', prenom: 'Éric', naissance: '14/07/1975' });
    const usager = new TestBrowser(FOLLOW_ALL);
    const decision = await identify(usager, await openByCode(usager, codeOn(created)), 'eric');
    const mandates = await countRows(t, 'mandates');
    const [a, b] = await Promise.all([
      submitForm(usager, decision, '/consentement/demande/accord'),
      submitForm(usager, decision, '/consentement/demande/accord'),
    ]);
    expect(await countRows(t, 'mandates')).toBe(mandates + 1);
    const [won, lost] = a.html.includes('Le mandat a été créé') ? [a, b] : [b, a];
    expect(won.html).toContain('Le mandat a été créé');
    // The other tab waited for the request's lock and found it answered (or, if it came second, found the answer in the session).
    expect([409, 410]).toContain(lost.status);
    expect(lost.html).not.toContain('Le mandat a été créé');
  });

  it('the aidant suspended while the request waits: the consent is refused', async () => {
    const browser = await aidant('sam@example.fr');
    const created = await prepare(browser, { nom: 'García Fernández', prenom: 'Lucia', naissance: '03/11/1985' });
    const usager = new TestBrowser(FOLLOW_ALL);
    const decision = await identify(usager, await openByCode(usager, codeOn(created)), 'lucia');
    await db.query(`UPDATE aidants SET habilitation_status = 'suspended' WHERE email = 'sam@example.fr'`);
    const mandates = await countRows(t, 'mandates');
    const done = await submitForm(usager, decision, '/consentement/demande/accord');
    expect(done.html).toContain('ne peut plus agir');
    expect(await countRows(t, 'mandates')).toBe(mandates);
    const [row] = await db.query(`SELECT status, refusal_reason FROM consent_requests WHERE id = $1`, [requestIdOf(created)]);
    expect(row).toEqual({ status: 'refused', refusal_reason: 'aidant_unavailable' });
    await db.query(`UPDATE aidants SET habilitation_status = 'habilitated' WHERE email = 'sam@example.fr'`);
  });

  it('cancelled by the aidant after a confirmation page, then expired ones: one clear page, nothing written but the refusal', async () => {
    const browser = await aidant();
    const created = await prepare(browser, { nom: 'Martin', prenom: 'Anne', naissance: '01/02/1970', email: 'anne@example.fr' });
    const link = await mailedConsentPath('anne@example.fr');
    const confirm = await browser.get(`${t.url}/aidant/consentements/${requestIdOf(created)}/annulation`);
    expect(confirm.html).toContain('Cette action est définitive');
    const cancelled = await submitForm(browser, confirm, `/aidant/consentements/${requestIdOf(created)}/annulation`);
    expect(cancelled.html).toContain('Annulée');
    const page = await new TestBrowser(FOLLOW_ALL).get(`${t.url}${link}`);
    expect(page.status).toBe(410);
    expect(page.html).toContain('annulé cette demande');

    const late = await prepare(browser, { nom: 'Martin', prenom: 'Anne', naissance: '01/02/1970', email: 'anne@example.fr' });
    const lateLink = await mailedConsentPath('anne@example.fr');
    clock.advance(24 * 3600 * 1000 + 1000);
    const before = await countRows(t, 'mandates');
    const expired = await new TestBrowser(FOLLOW_ALL).get(`${t.url}${lateLink}`);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('a expiré');
    expect(await countRows(t, 'mandates')).toBe(before);
    expect(await t.app.get(ConsentExpiryJob).runOnce()).toBeGreaterThanOrEqual(1);
    const [row] = await db.query(`SELECT status FROM consent_requests WHERE id = $1`, [requestIdOf(late)]);
    expect(row.status).toBe('expired');
    expect((await journalOf(t, 'consent_request.expired')).some((e) => e.details.requestId === requestIdOf(late))).toBe(true);

    const unknown = await new TestBrowser(FOLLOW_ALL).get(`${t.url}/consentement/${'x'.repeat(43)}`);
    expect(unknown.status).toBe(410);
    expect(unknown.html).toContain('ne correspond à aucune demande');
    const refusals = (await journalOf(t, 'consent_request.access_refused')).map((e) => e.details.reason);
    expect(refusals).toEqual(expect.arrayContaining(['cancelled', 'expired', 'unknown']));
  });

  it('a fault after the mandate rows are written (the attestation refused by the database): nothing is left, the request stays pending and can be answered again', async () => {
    const browser = await aidant();
    const created = await prepare(browser, { nom: 'Diallo', prenom: 'Mamadou', naissance: '30/12/2001' });
    const requestId = requestIdOf(created);
    const usager = new TestBrowser(FOLLOW_ALL);
    const decision = await identify(usager, await openByCode(usager, codeOn(created)), 'mamadou');
    expect(path(decision)).toBe('/consentement/demande/accord');

    const tables = ['mandates', 'autorisations', 'mandate_consents', 'usagers'] as const;
    const before = await Promise.all(tables.map((table) => countRows(t, table)));
    const claims = ['mandate.created', 'autorisation.created', 'usager.created', 'consent_request.accepted'];
    const claimedBefore = (await journalOf(t, ...claims)).length;
    // A real fault inside the consent's transaction: the attestation, written last (after the consent,
    // the mandate, its autorisations and their journal entries), is refused by the database.
    await db.query(`CREATE FUNCTION test_refuse_attestation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'attestation store refused (test fault)'; END $$`);
    await db.query(`CREATE TRIGGER test_refuse_attestation BEFORE INSERT ON attestations FOR EACH ROW EXECUTE FUNCTION test_refuse_attestation()`);
    let failed: Page;
    try {
      failed = await submitForm(usager, decision, '/consentement/demande/accord');
    } finally {
      await db.query(`DROP TRIGGER test_refuse_attestation ON attestations`);
      await db.query(`DROP FUNCTION test_refuse_attestation()`);
    }
    expect(failed.status).toBe(500);
    expect(failed.html).not.toContain('Le mandat a été créé');
    expect(await Promise.all(tables.map((table) => countRows(t, table)))).toEqual(before);
    const [row] = await db.query(`SELECT status, mandate_id, decided_at FROM consent_requests WHERE id = $1`, [requestId]);
    expect(row).toEqual({ status: 'pending', mandate_id: null, decided_at: null });
    const [{ n: consents }] = await db.query(`SELECT count(*)::int AS n FROM mandate_consents WHERE consent_request_id = $1`, [requestId]);
    expect(consents).toBe(0);
    // The journal claims nothing that did not happen.
    expect((await journalOf(t, ...claims)).length).toBe(claimedBefore);
    const about = (await journalOf(t, 'consent_request.created', 'consent_request.sent', 'consent_request.accepted', 'consent_request.refused', 'mandate.created'))
      .filter((e) => e.details.requestId === requestId || e.details.consentRequestId === requestId)
      .map((e) => e.action);
    expect(about).toEqual(['consent_request.created', 'consent_request.sent']);
    expect((await browser.get(created.url)).html).toContain('En attente');

    // The fault gone, the usager's same answer goes through: one mandate.
    const done = await submitForm(usager, decision, '/consentement/demande/accord');
    expect(done.html).toContain('Le mandat a été créé');
    expect(await countRows(t, 'mandates')).toBe(before[0]! + 1);
    const [accepted] = await db.query(`SELECT status FROM consent_requests WHERE id = $1`, [requestId]);
    expect(accepted.status).toBe('accepted');
  });

  it('the usager pages refuse a step reached without the one before', async () => {
    const usager = new TestBrowser(FOLLOW_ALL);
    expect((await usager.get(`${t.url}/consentement/demande`)).status).toBe(409);
    expect((await usager.get(`${t.url}/consentement/demande/accord`)).status).toBe(409);
  });

  // Last: it locks this suite's client address out of the code form.
  it('10 wrong codes from one address within 10 minutes: further attempts refused, journaled', async () => {
    const usager = new TestBrowser(FOLLOW_ALL);
    // Unknown links count with wrong codes: a fresh window, whatever the tests before presented.
    clock.advance(11 * 60 * 1000);
    for (let i = 0; i < 10; i += 1) {
      const page = await openByCode(usager, 'AAAA AAAA');
      expect(page.status).toBe(410);
    }
    const locked = await openByCode(usager, 'AAAA AAAA');
    expect(locked.status).toBe(429);
    expect(locked.html).toContain('Trop de codes erronés');
    const [entry] = (await journalOf(t, 'consent_request.access_refused')).filter((e) => e.details.reason === 'throttled');
    expect(entry!.details.lockedUntil).toEqual(expect.any(String));
  });
});
