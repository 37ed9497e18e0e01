import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactVerify, createRemoteJWKSet } from 'jose';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { MandateExpiryJob } from '../../src/mandates/mandate-expiry.job.js';
import { expiryOf, type Duration } from '../../src/mandates/mandate-status.js';
import { TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { journalOf, seedAidant, seedStructure, totpAt } from '../support/aidants.js';
import {
  backdateMandate,
  chooseAtCounter,
  confirmAtCounter,
  consentAtCounter,
  countRows,
  csrfIn,
  mandateIdOf,
  postEntries,
  signInAtCounter,
} from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FOLLOW_ALL, signInAsUsager, submitForm } from '../support/usagers.js';

const path = (page: Page) => new URL(page.url).pathname;

/** The whole counter story over real HTTP, against the FranceConnect simulator. */
describe('mandates at the counter', () => {
  let t: TestApp;
  const clock = new ManualClock();
  let vesoul: string;
  let gray: string;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    vesoul = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    gray = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    await seedAidant(t, { email: 'camille@example.fr', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'sam@example.fr', givenName: 'Sam', memberships: [{ structureId: vesoul, roles: ['aidant'] }] });
    await seedAidant(t, { email: 'rita@example.fr', givenName: 'Rita', memberships: [{ structureId: vesoul, roles: ['referent'] }] });
    await seedAidant(t, { email: 'gael@example.fr', givenName: 'Gaël', memberships: [{ structureId: gray, roles: ['aidant'] }] });
  });
  afterAll(() => t.close());

  async function aidant(email = 'camille@example.fr'): Promise<TestBrowser> {
    const browser = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    const home = await signInAtCounter(t, browser, clock, email);
    // Rita is a référent only: her sign-in lands on the structure's page.
    expect(path(home)).toBe(email === 'rita@example.fr' ? '/structure' : '/aidant');
    return browser;
  }

  /** Steps 1 to 3; returns the mandate page. */
  async function openAtCounter(browser: TestBrowser, demarches: string[], duree: string, identity = 'angela'): Promise<Page> {
    const consent = await chooseAtCounter(t, browser, demarches, duree);
    expect(path(consent)).toBe('/aidant/mandats/nouveau/franceconnect');
    const recap = await consentAtCounter(browser, consent, identity);
    expect(path(recap)).toBe('/aidant/mandats/nouveau/recapitulatif');
    const done = await confirmAtCounter(t, browser, clock, recap);
    expect(done.status).toBe(200);
    return done;
  }

  it.each([
    ['court', 1],
    ['mois', 31],
    ['semestre', 182],
    ['long', 365],
  ])('the whole story for a %s mandate: choice, FranceConnect, recap, attestation', async (duree, days) => {
    const browser = await aidant();
    const consent = await chooseAtCounter(t, browser, ['logement', 'argent'], duree);
    expect(consent.html).toContain('fr-stepper');
    expect(consent.html).toContain('Étape 2 sur 3');
    const recap = await consentAtCounter(browser, consent, 'angela');
    expect(recap.html).toContain('Étape 3 sur 3');
    // The identity as on her identity card: birth name, usage name, every given name, birth date and place.
    const identity = 'Angela Claire Louise DUBOIS, épouse MARTIN, née le 24 août 1962 à Paris 7e Arrondissement';
    expect(recap.html).toContain(identity);
    expect(recap.html).not.toMatch(/née ou né|né\(e\)|1962-08-24/);
    expect(recap.html).toContain('surendettement');
    const mandates = await countRows(t, 'mandates');
    const page = await confirmAtCounter(t, browser, clock, recap);
    expect(path(page)).toMatch(/^\/aidant\/mandats\/[0-9a-f-]{36}$/);
    expect(page.html).toContain('Le mandat a été créé');
    expect(page.html).toContain('Mandat d’Angela Claire Louise MARTIN');
    expect(page.html).toContain(identity);
    expect(await countRows(t, 'mandates')).toBe(mandates + 1);
    const id = mandateIdOf(page);
    const [row] = await t.app.get(DataSource).query(
      `SELECT m.created_at, m.expires_at, c.fc_acr, c.id_token_hash, c.declared_at, c.fc_auth_time
         FROM mandates m JOIN mandate_consents c ON c.id = m.consent_id WHERE m.id = $1`,
      [id],
    );
    expect(row).toMatchObject({ fc_acr: 'eidas1' });
    expect(row.id_token_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Calendar days in Paris, the same time of day (within an hour of days × 24 hours across a clock change).
    expect(new Date(row.expires_at).toISOString()).toBe(expiryOf(new Date(row.created_at), duree as Duration).toISOString());
    expect(Math.abs(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime() - days * 86_400_000)).toBeLessThanOrEqual(3_600_000);

    // The attestation: two copies, a QR code in SVG, a JWS that verifies with the published keys.
    const printable = await browser.get(`${t.url}/aidant/mandats/${id}/attestation`);
    expect(printable.status).toBe(200);
    expect(printable.html.match(/class="attestation-copy"/g)).toHaveLength(2);
    expect(printable.html).toContain('<svg');
    expect(printable.html).toContain('/static/attestation-print.css');
    expect(printable.html.split(identity)).toHaveLength(3);
    const jws = /Signature électronique : ([A-Za-z0-9_.-]+)/.exec(printable.html)![1]!;
    const { payload } = await compactVerify(jws, createRemoteJWKSet(new URL(`${t.url}/.well-known/procuration/jwks.json`)));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ mandate: id, demarches: ['logement', 'argent'] });

    // Public verification, with no session at all.
    const verified = await new TestBrowser(FOLLOW_ALL).get(`${t.url}/attestations/verification?jws=${jws}`);
    expect(verified.status).toBe(200);
    expect(verified.html).toContain('Attestation authentique : mandat actif');
    expect(verified.html).not.toContain('Angela');

    const actions = (await journalOf(t, 'mandate.started', 'mandate.created', 'autorisation.created', 'attestation.issued', 'attestation.verified'))
      .filter((e) => e.mandate_id === id || (e.action === 'mandate.started' && e.chain === vesoul))
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['mandate.started', 'mandate.created', 'autorisation.created', 'attestation.issued', 'attestation.verified']));
  });

  it('shows the dashboard with live mandates, the search, and hides them from another structure (404)', async () => {
    const browser = await aidant();
    const page = await openAtCounter(browser, ['famille'], 'mois', 'lucia');
    const id = mandateIdOf(page);
    const dashboard = await browser.get(`${t.url}/aidant`);
    expect(dashboard.html).toContain(`/aidant/mandats/${id}`);
    const search = await browser.get(`${t.url}/aidant?nom=lucia`);
    expect(search.html).toContain(`/aidant/mandats/${id}`);
    const none = await browser.get(`${t.url}/aidant?nom=personne-inconnue`);
    expect(none.html).not.toContain(`/aidant/mandats/${id}`);
    // Born abroad: the country, and her birth date as a French reader writes it.
    expect(page.html).toContain('Lucía GARCÍA FERNÁNDEZ, née le 3 novembre 1985 à l’étranger (Espagne)');
    expect(dashboard.html).toContain('3 novembre 1985');
    // The birth date from the date picker (AAAA-MM-JJ) or typed by hand (JJ/MM/AAAA); anything else is refused in French.
    for (const typed of ['1985-11-03', '03/11/1985', '3/11/1985']) {
      expect((await browser.get(`${t.url}/aidant?naissance=${encodeURIComponent(typed)}`)).html).toContain(`/aidant/mandats/${id}`);
    }
    expect((await browser.get(`${t.url}/aidant?naissance=1985-11-04`)).html).not.toContain(`/aidant/mandats/${id}`);
    const invalid = await browser.get(`${t.url}/aidant?naissance=31%2F02%2F1985`);
    expect(invalid.html).toContain('Saisissez une date de naissance valide, par exemple 24/08/1962.');
    expect(invalid.html).not.toContain('AAAA-MM-JJ');

    const other = await aidant('gael@example.fr');
    expect((await other.get(`${t.url}/aidant`)).html).not.toContain(id);
    for (const suffix of ['', '/attestation', '/renouvellement']) {
      expect((await other.get(`${t.url}/aidant/mandats/${id}${suffix}`)).status).toBe(404);
    }
    const otherHome = await other.get(`${t.url}/aidant`);
    const revoke = await postEntries(other, `${t.url}/aidant/mandats/${id}/revocation`, [['_csrf', csrfIn(otherHome)], ['motif', 'erreur']]);
    expect(revoke.status).toBe(404);
    expect(revoke.html).toContain('ne concerne pas votre structure');
  });

  it('supersedes the live autorisation of the same usager and démarche; renewal (same démarche, shorter) skips FranceConnect', async () => {
    const browser = await aidant();
    const first = mandateIdOf(await openAtCounter(browser, ['travail', 'social'], 'mois', 'paul'));
    const second = mandateIdOf(await openAtCounter(browser, ['travail'], 'long', 'paul'));
    const firstPage = await browser.get(`${t.url}/aidant/mandats/${first}`);
    expect(firstPage.html).toContain('remplacée par un mandat plus récent');
    const superseded = (await journalOf(t, 'autorisation.superseded')).filter((e) => e.mandate_id === first);
    expect(superseded.map((e) => e.demarche)).toEqual(['travail']);

    const form = await browser.get(`${t.url}/aidant/mandats/${second}/renouvellement`);
    expect(form.status).toBe(200);
    clock.advance(30_000);
    const renewed = await postEntries(browser, `${t.url}/aidant/mandats/${second}/renouvellement`, [
      ['_csrf', csrfIn(form)],
      ['soumission', /name="soumission" value="([^"]+)"/.exec(form.html)![1]!],
      ['demarches', 'travail'],
      ['duree', 'semestre'],
      ['declaration', 'oui'],
      ['totp', totpAt(clock)],
    ]);
    const third = mandateIdOf(renewed);
    expect(third).not.toBe(second);
    const [entry] = (await journalOf(t, 'mandate.renewed')).filter((e) => e.mandate_id === third);
    const [consent] = await t.app.get(DataSource).query(
      `SELECT c.kind, c.previous_consent_id, (SELECT consent_id FROM mandates WHERE id = $2) AS earlier
         FROM mandates m JOIN mandate_consents c ON c.id = m.consent_id WHERE m.id = $1`,
      [third, second],
    );
    expect(consent.kind).toBe('renewal');
    expect(consent.previous_consent_id).toBe(consent.earlier);
    expect(entry?.details).toMatchObject({ renewedFrom: second, previousConsentId: consent.earlier });
  });

  it('revocation by an aidant, then by a référent, each needing a fresh TOTP; public verification says révoqué', async () => {
    const browser = await aidant();
    const id = mandateIdOf(await openAtCounter(browser, ['papiers'], 'mois', 'jeanne'));
    const printable = await browser.get(`${t.url}/aidant/mandats/${id}/attestation`);
    const jws = /Signature électronique : ([A-Za-z0-9_.-]+)/.exec(printable.html)![1]!;

    // Another aidant of the structure, whose TOTP is no longer fresh.
    const sam = await aidant('sam@example.fr');
    clock.advance(16 * 60_000);
    const stale = await sam.get(`${t.url}/aidant/mandats/${id}`);
    const refused = await postEntries(sam, `${t.url}/aidant/mandats/${id}/revocation`, [['_csrf', csrfIn(stale)], ['motif', 'fin_accompagnement']]);
    expect(refused.status).toBe(403);
    expect(await t.app.get(DataSource).query(`SELECT revoked_at FROM mandates WHERE id = $1`, [id])).toEqual([{ revoked_at: null }]);

    const rita = await aidant('rita@example.fr');
    const page = await rita.get(`${t.url}/aidant/mandats/${id}`);
    const noReason = await postEntries(rita, `${t.url}/aidant/mandats/${id}/revocation`, [['_csrf', csrfIn(page)]]);
    expect(noReason.status).toBe(400);
    expect(noReason.html).toContain('Choisissez le motif');
    const done = await postEntries(rita, `${t.url}/aidant/mandats/${id}/revocation`, [['_csrf', csrfIn(page)], ['motif', 'erreur']]);
    expect(done.status).toBe(200);
    expect(done.html).toContain('La révocation est enregistrée');
    const twice = await postEntries(rita, `${t.url}/aidant/mandats/${id}/revocation`, [['_csrf', csrfIn(page)], ['motif', 'erreur']]);
    expect(twice.status).toBe(409);
    const [entry] = (await journalOf(t, 'mandate.revoked')).filter((e) => e.mandate_id === id);
    expect(entry?.details).toMatchObject({ by: 'referent', reason: 'erreur' });

    const verified = await new TestBrowser(FOLLOW_ALL).get(`${t.url}/attestations/verification?jws=${jws}`);
    expect(verified.html).toContain('mandat révoqué');
    const revocation = await rita.get(`${t.url}/aidant/mandats/${id}/attestation-revocation`);
    expect(revocation.html).toContain('Attestation de révocation de mandat');
  });

  it('revocation by the usager from /usager, their own mandates only', async () => {
    const browser = await aidant();
    const mine = mandateIdOf(await openAtCounter(browser, ['transports', 'loisirs'], 'semestre', 'mamadou'));
    const theirs = mandateIdOf(await openAtCounter(browser, ['transports'], 'semestre', 'eric'));
    const usager = new TestBrowser(FOLLOW_ALL);
    const space = await signInAsUsager(t, usager, 'mamadou');
    expect(space.html).toContain('Médiathèque de Vesoul');
    expect(space.html).toContain('Transports');
    expect(space.html).toContain(`/usager/mandats/${mine}/revocation`);
    expect(space.html).not.toContain(theirs);
    const forbidden = await postEntries(usager, `${t.url}/usager/mandats/${theirs}/revocation`, [['_csrf', csrfIn(space)]]);
    expect(forbidden.status).toBe(404);
    const confirmation = await usager.get(`${t.url}/usager/mandats/${mine}/revocation`);
    const after = await submitForm(usager, confirmation, `/usager/mandats/${mine}/revocation`);
    expect(after.status).toBe(200);
    expect(after.html).toContain('révoqué');
    const [entry] = (await journalOf(t, 'mandate.revoked')).filter((e) => e.mandate_id === mine);
    expect(entry).toMatchObject({ actor_type: 'usager', details: { by: 'usager' } });
    const again = await postEntries(usager, `${t.url}/usager/mandats/${mine}/revocation`, [['_csrf', csrfIn(space)]]);
    expect(again.status).toBe(409);
  });

  it('expiry: the status follows database time and the job journals it once', async () => {
    const browser = await aidant();
    const id = mandateIdOf(await openAtCounter(browser, ['justice'], 'court', 'angela'));
    const before = await browser.get(`${t.url}/aidant`);
    expect(before.html).toMatch(new RegExp(`à échéance dans les 30 jours[\\s\\S]*${id}`));
    await backdateMandate(t, id, 1);
    // Expired: off the live list, on the ended mandates' page.
    expect((await browser.get(`${t.url}/aidant`)).html).not.toContain(id);
    const ended = await browser.get(`${t.url}/aidant/mandats-termines`);
    expect(ended.html).toMatch(new RegExp(`${id}[\\s\\S]*expiré`));
    const job = t.app.get(MandateExpiryJob);
    await job.runOnce();
    await job.runOnce();
    expect((await journalOf(t, 'mandate.expired')).filter((e) => e.mandate_id === id)).toHaveLength(1);
  });

  describe('faults', () => {
    it.each([
      ['no démarche', [], 'mois', 'Choisissez au moins une démarche.'],
      ['an unknown démarche', ['impots'], 'mois', 'Cette démarche n’existe pas.'],
      ['an unknown duration', ['famille'], 'toujours', 'Choisissez une durée'],
    ])('step 1 with %s is refused in French, nothing started', async (_name, demarches, duree, message) => {
      const browser = await aidant();
      const page = await chooseAtCounter(t, browser, demarches, duree);
      expect(page.status).toBe(400);
      expect(page.html).toContain(message);
      expect(path(page)).toBe('/aidant/mandats/nouveau');
    });

    it('a démarche the structure does not allow is refused', async () => {
      await t.app.get(DataSource).query(`UPDATE structures SET allowed_demarches = ARRAY['famille', 'papiers'] WHERE id = $1`, [gray]);
      const browser = await aidant('gael@example.fr');
      const form = await browser.get(`${t.url}/aidant/mandats/nouveau`);
      expect(form.html).not.toContain('value="logement"');
      const page = await chooseAtCounter(t, browser, ['logement'], 'mois');
      expect(page.status).toBe(400);
      expect(page.html).toContain('Votre structure ne propose pas cette démarche.');
    });

    it('the usager cancelling at FranceConnect, or a FranceConnect failure, creates nothing', async () => {
      const browser = await aidant();
      const before = await countRows(t, 'mandates');
      for (const scenario of ['refus', 'panne']) {
        const consent = await chooseAtCounter(t, browser, ['famille'], 'mois');
        const failed = await consentAtCounter(browser, consent, scenario);
        expect(failed.status).toBeGreaterThanOrEqual(400);
        // The page offers to start the consent again, and the wizard resumes there.
        expect(failed.html).toContain('<a class="fr-btn" href="/aidant/mandats/nouveau/franceconnect">Recommencer</a>');
        expect((await browser.get(`${t.url}/aidant/mandats/nouveau/franceconnect`)).status).toBe(200);
        const recap = await browser.get(`${t.url}/aidant/mandats/nouveau/recapitulatif`);
        expect(recap.status).toBe(409);
      }
      expect(await countRows(t, 'mandates')).toBe(before);
    });

    it.each([
      ['a missing declaration', (code: string): Array<[string, string]> => [['totp', code]], 'Cochez la déclaration'],
      ['a wrong TOTP code', (): Array<[string, string]> => [['declaration', 'oui'], ['totp', '000000']], 'Code à usage unique incorrect'],
    ])('the recap with %s is refused and writes nothing', async (_name, fields, message) => {
      const browser = await aidant();
      const recap = await consentAtCounter(browser, await chooseAtCounter(t, browser, ['famille'], 'mois'), 'lucia');
      const before = await countRows(t, 'mandates');
      clock.advance(30_000);
      const page = await confirmAtCounter(t, browser, clock, recap, fields(totpAt(clock)));
      expect(page.status).toBe(400);
      expect(page.html).toContain(message);
      expect(await countRows(t, 'mandates')).toBe(before);
    });

    it('a double submit of the recap creates exactly one mandate; a replayed code is refused', async () => {
      const browser = await aidant();
      const recap = await consentAtCounter(browser, await chooseAtCounter(t, browser, ['famille'], 'mois'), 'paul');
      const before = await countRows(t, 'mandates');
      clock.advance(30_000);
      const fields: Array<[string, string]> = [['declaration', 'oui'], ['totp', totpAt(clock)]];
      const url = `${t.url}/aidant/mandats/nouveau/recapitulatif`;
      const entries: Array<[string, string]> = [['_csrf', csrfIn(recap)], ...fields];
      const [a, b] = await Promise.all([postEntries(browser, url, entries), postEntries(browser, url, entries)]);
      expect([a.status, b.status].sort()).toEqual([200, expect.any(Number)]);
      expect([a.status, b.status].filter((s) => s >= 400)).toHaveLength(1);
      expect(await countRows(t, 'mandates')).toBe(before + 1);
      const third = await postEntries(browser, url, entries);
      expect(third.status).toBe(409);
      expect(third.html).toContain('déjà été créé');
      expect(await countRows(t, 'mandates')).toBe(before + 1);
    });

    it('a replayed TOTP code (the one used to sign in) is refused at the recap', async () => {
      const browser = await aidant();
      const signInCode = totpAt(clock);
      const recap = await consentAtCounter(browser, await chooseAtCounter(t, browser, ['famille'], 'mois'), 'jeanne');
      const page = await postEntries(browser, `${t.url}/aidant/mandats/nouveau/recapitulatif`, [
        ['_csrf', csrfIn(recap)],
        ['declaration', 'oui'],
        ['totp', signInCode],
      ]);
      expect(page.status).toBe(400);
      expect(page.html).toContain('Ce code a déjà été utilisé');
    });

    it('a database failure in the final transaction writes nothing (no usager, consent, mandate)', async () => {
      const db = t.app.get(DataSource);
      const browser = await aidant();
      const recap = await consentAtCounter(browser, await chooseAtCounter(t, browser, ['famille', 'logement'], 'mois'), 'eric');
      const tables = ['mandates', 'autorisations', 'mandate_consents', 'usagers'] as const;
      const before = await Promise.all(tables.map((table) => countRows(t, table)));
      await db.query(`CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`);
      await db.query(`CREATE TRIGGER test_fail BEFORE INSERT ON autorisations FOR EACH ROW EXECUTE FUNCTION test_fail()`);
      try {
        const page = await confirmAtCounter(t, browser, clock, recap);
        expect(page.status).toBe(500);
        expect(page.html).toContain('Erreur technique');
      } finally {
        await db.query(`DROP TRIGGER test_fail ON autorisations`);
        await db.query(`DROP FUNCTION test_fail()`);
      }
      expect(await Promise.all(tables.map((table) => countRows(t, table)))).toEqual(before);
      // The pending mandate is still there: the aidant can confirm again once the database is back.
      const retried = await confirmAtCounter(t, browser, clock, recap);
      expect(path(retried)).toMatch(/^\/aidant\/mandats\//);
    });

    it('abandoning at the recap creates nothing', async () => {
      const browser = await aidant();
      const before = await Promise.all([countRows(t, 'mandates'), countRows(t, 'mandate_consents')]);
      const recap = await consentAtCounter(browser, await chooseAtCounter(t, browser, ['famille'], 'mois'), 'jeanne');
      const home = await submitForm(browser, recap, '/aidant/mandats/nouveau/abandon');
      expect(path(home)).toBe('/aidant');
      expect((await browser.get(`${t.url}/aidant/mandats/nouveau/recapitulatif`)).status).toBe(409);
      expect(await Promise.all([countRows(t, 'mandates'), countRows(t, 'mandate_consents')])).toEqual(before);
    });

    it('a référent alone may not open a mandate; a suspended aidant is signed out', async () => {
      const rita = await aidant('rita@example.fr');
      expect((await rita.get(`${t.url}/aidant/mandats/nouveau`)).status).toBe(403);
      const sam = await aidant('sam@example.fr');
      await t.app.get(DataSource).query(`UPDATE aidants SET habilitation_status = 'suspended' WHERE email = 'sam@example.fr'`);
      const page = await sam.get(`${t.url}/aidant/mandats/nouveau`);
      expect(page.status).toBe(403);
      expect(page.html).toContain('suspendu');
      await t.app.get(DataSource).query(`UPDATE aidants SET habilitation_status = 'habilitated' WHERE email = 'sam@example.fr'`);
    });

    it.each([
      ['a forged JWS', 'eyJhbGciOiJFUzI1NiJ9.eyJtYW5kYXRlIjoieCJ9.c2lnbmF0dXJl', 'pas une attestation Procuration'],
      ['garbage', 'pas-une-attestation', 'pas une attestation Procuration'],
    ])('public verification refuses %s with a French page', async (_name, jws, message) => {
      const page = await new TestBrowser(FOLLOW_ALL).get(`${t.url}/attestations/verification?jws=${encodeURIComponent(jws)}`);
      expect(page.status).toBe(400);
      expect(page.html).toContain(message);
    });

    it('every mandate page needs a signed-in aidant', async () => {
      for (const url of ['/aidant', '/aidant/mandats/nouveau', '/aidant/mandats/00000000-0000-4000-8000-000000000000']) {
        expect((await new TestBrowser(FOLLOW_ALL).get(`${t.url}${url}`)).status).toBe(401);
      }
    });
  });
});
