import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { browser, csrfOf, journalOf, seedAidant, seedStructure, totpAt } from '../support/aidants.js';
import { chooseAtCounter, csrfIn, postEntries, signInAtCounter } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FOLLOW_ALL } from '../support/usagers.js';

/** Every line the application logs, as it would reach standard output. */
class LogCapture extends Writable {
  text = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

const path = (page: Page) => new URL(page.url).pathname;

/**
 * Findings of the security review of remote consent, each over real HTTP:
 * the link's secret in the request log, and the code throttle keyed by
 * single IPv6 addresses.
 */
describe('remote consent: security review', () => {
  const clock = new ManualClock();
  const logs = new LogCapture();
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', LOG_LEVEL: 'info' }, { clock, logDestination: logs });
    db = t.app.get(DataSource);
    const structure = (await seedStructure(t, 'Médiathèque de Lure', '21700550300016')).id;
    await seedAidant(t, { email: 'nadia@example.fr', memberships: [{ structureId: structure, roles: ['aidant'] }] });
  });
  afterAll(() => t?.close());

  async function prepareByEmail(email: string, fields: { nom: string; prenom: string; naissance: string }): Promise<Page> {
    const aidant = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    expect(path(await signInAtCounter(t, aidant, clock, 'nadia@example.fr'))).toBe('/aidant');
    await chooseAtCounter(t, aidant, ['logement'], 'mois');
    const form = await aidant.get(`${t.url}/aidant/mandats/nouveau/a-distance`);
    clock.advance(30_000);
    return postEntries(aidant, `${t.url}/aidant/mandats/nouveau/a-distance`, [
      ['_csrf', csrfIn(form)],
      ['nom', fields.nom],
      ['prenom', fields.prenom],
      ['naissance', fields.naissance],
      ['email', email],
      ['totp', totpAt(clock)],
    ]);
  }

  it('never writes the link’s token in the request log, whether the link works or not', async () => {
    const created = await prepareByEmail('angela.lure@example.fr', { nom: 'Dubois', prenom: 'Angela', naissance: '24/08/1962' });
    expect(path(created)).toMatch(/^\/aidant\/consentements\/[0-9a-f-]{36}$/);
    const [mail]: Array<{ body: string }> = await db.query(`SELECT body FROM mail_outbox WHERE recipient = 'angela.lure@example.fr'`);
    const token = /\/consentement\/([A-Za-z0-9_-]{43})/.exec(mail!.body)![1]!;

    const start = logs.text.length;
    const usager = new TestBrowser(FOLLOW_ALL);
    const recap = await usager.get(`${t.url}/consentement/${token}`);
    expect(path(recap)).toBe('/consentement/demande');
    const unknown = 'x'.repeat(43);
    expect((await new TestBrowser(FOLLOW_ALL).get(`${t.url}/consentement/${unknown}`)).status).toBe(410);

    const written = logs.text.slice(start);
    expect(written).toContain('/consentement/[masqué]');
    expect(written).toContain('/consentement/demande');
    expect(written).not.toContain(token);
    expect(written).not.toContain(unknown);
  });

  it.each(['/consentement', '/consentement/demande/franceconnect', '/consentement/demande/accord', '/consentement/demande/refus'])(
    'refuses POST %s without the form’s CSRF token, before anything else',
    async (route) => {
      const agent = browser(t);
      await agent.get('/consentement').expect(200);
      const res = await agent.post(route).type('form').send({ code: 'AAAA AAAA' });
      expect(res.status).toBe(403);
      expect(res.text).toContain('jeton de sécurité');
    },
  );

  let wizard: TestBrowser | undefined;
  /** One aidant, signed in once, the wizard's first step done: each bad form is answered on the same page. */
  async function remoteForm(): Promise<{ aidant: TestBrowser; form: Page }> {
    if (!wizard) {
      wizard = new TestBrowser(FOLLOW_ALL);
      clock.advance(30_000);
      await signInAtCounter(t, wizard, clock, 'nadia@example.fr');
      await chooseAtCounter(t, wizard, ['social'], 'court');
    }
    return { aidant: wizard, form: await wizard.get(`${t.url}/aidant/mandats/nouveau/a-distance`) };
  }

  it.each([
    ['a birth date to come', { naissance: '01/01/2999' }, 'naissance', 'Saisissez une date de naissance passée'],
    ['a birth date centuries ago', { naissance: '12/05/1700' }, 'naissance', 'Saisissez une date de naissance passée'],
    ['a date that does not exist', { naissance: '31/02/1980' }, 'naissance', 'Saisissez une date de naissance valide'],
    ['a date in another format', { naissance: '1980/02/12' }, 'naissance', 'Saisissez une date de naissance valide'],
    ['a name too long', { nom: 'A'.repeat(101) }, 'nom', 'au plus 100 caractères'],
    ['a name without letters', { prenom: '--- ' }, 'prenom', 'doit contenir des lettres'],
    ['an address that is not one', { email: 'pas-une-adresse' }, 'email', 'adresse électronique'],
  ])('refuses %s with a French message and writes nothing', async (_case, changed, field, message) => {
    const { aidant, form } = await remoteForm();
    const before: Array<{ n: number }> = await db.query(`SELECT count(*)::int AS n FROM consent_requests`);
    const fields = { nom: 'Dubois', prenom: 'Angela', naissance: '24/08/1962', email: '', ...changed };
    clock.advance(30_000);
    const page = await postEntries(aidant, `${t.url}/aidant/mandats/nouveau/a-distance`, [
      ['_csrf', csrfIn(form)],
      ['nom', fields.nom],
      ['prenom', fields.prenom],
      ['naissance', fields.naissance],
      ['email', fields.email],
      ['totp', totpAt(clock)],
    ]);
    expect(page.status).toBe(400);
    expect(page.html).toContain(message);
    expect(page.html).toContain(`id="${field}-error"`);
    expect(await db.query(`SELECT count(*)::int AS n FROM consent_requests`)).toEqual(before);
  });

  it('stores a phone code as a keyed digest, which a copy of the database cannot reverse by trying every code', async () => {
    const created = await prepareByEmail('', { nom: 'Santoni', prenom: 'Paul-Antoine', naissance: '17/03/1948' });
    const match = /class="consent-code">([A-Z0-9]{4}) ([A-Z0-9]{4})</.exec(created.html)!;
    const code = `${match[1]}${match[2]}`;
    const requestId = /\/aidant\/consentements\/([0-9a-f-]{36})$/.exec(created.url)![1]!;
    const [stored]: Array<{ code_hash: string }> = await db.query(`SELECT code_hash FROM consent_requests WHERE id = $1`, [requestId]);
    expect(stored!.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.code_hash).not.toBe(createHash('sha256').update(code).digest('hex'));

    const openByCode = async (typed: string) => {
      const usager = new TestBrowser(FOLLOW_ALL);
      const form = await usager.get(`${t.url}/consentement`);
      return usager.post(`${t.url}/consentement`, { _csrf: csrfIn(form), code: typed });
    };
    expect(path(await openByCode(code))).toBe('/consentement/demande');
    // A request stored before the digest was keyed is still found by its plain digest.
    await db.query(`UPDATE consent_requests SET code_hash = $2 WHERE id = $1`, [requestId, createHash('sha256').update(code).digest('hex')]);
    expect(path(await openByCode(code))).toBe('/consentement/demande');
  });

  it('limits unknown links per address like wrong codes: the journal is not an unlimited sink for guesses', async () => {
    const ip = '198.51.100.23';
    const before = (await journalOf(t, 'consent_request.access_refused')).filter((e) => e.details.via === 'link').length;
    for (let i = 0; i < 10; i += 1) {
      const res = await browser(t).get(`/consentement/${'g'.repeat(42)}${i}`).set('X-Forwarded-For', ip);
      expect(res.status).toBe(410);
    }
    for (let i = 0; i < 5; i += 1) {
      const locked = await browser(t).get(`/consentement/${'h'.repeat(42)}${i}`).set('X-Forwarded-For', ip);
      expect(locked.status).toBe(429);
      expect(locked.text).toContain('Trop de liens ou de codes erronés');
    }
    const after = (await journalOf(t, 'consent_request.access_refused')).filter((e) => e.details.via === 'link');
    // Ten refusals, then the lock once; the five attempts past the limit write nothing.
    expect(after.length - before).toBe(11);
    expect(after.at(-1)!.details).toMatchObject({ reason: 'throttled', requestId: null });
  });

  it('counts wrong codes per IPv6 /64, not per address: a client cannot escape the lock by changing addresses', async () => {
    const attempt = async (ip: string) => {
      const agent = browser(t);
      const form = await agent.get('/consentement').set('X-Forwarded-For', ip);
      return agent.post('/consentement').set('X-Forwarded-For', ip).type('form').send({ _csrf: csrfOf(form.text), code: 'AAAA AAAA' });
    };
    for (let i = 1; i <= 10; i += 1) expect((await attempt(`2001:db8:77:1::${i.toString(16)}`)).status).toBe(410);
    const locked = await attempt('2001:db8:77:1:abcd::99');
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('Trop de codes erronés');
    // Another /64 is another client.
    expect((await attempt('2001:db8:77:2::1')).status).toBe(410);
    const throttled = (await journalOf(t, 'consent_request.access_refused')).filter((e) => e.details.reason === 'throttled' && e.details.via === 'code');
    expect(throttled).toHaveLength(1);
  });
});
