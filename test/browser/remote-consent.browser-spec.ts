import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { runDemoSeed } from '../../src/seed/demo-seed.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { launchBrowser, newContext, screenshot } from './support/browser.js';
import { clickAndWait, fillSignIn, nextTotp, StoryRecorder, tick, visibleText } from './support/story.js';

const SUITE = 'remote-consent';
const AIDANT = 'aidant@demo.procuration.test';

/**
 * Remote consent in Chromium, on the app seeded as `npm start` seeds it: the
 * aidant prepares the request on one device, the usager answers on another
 * (a separate browser context: its own cookies), through the FranceConnect
 * simulator. First by a mailed link, then by a code read out on the phone.
 * Screenshots: test-artifacts/browser/remote-consent/ (docs/tour.md names them).
 */
describe('remote consent in Chromium', () => {
  const clock = new ManualClock();
  const story = new StoryRecorder(SUITE);
  let t: TestApp;
  let browser: Browser;
  let db: DataSource;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [t, browser] = await Promise.all([startTestApp({}, { clock }), launchBrowser()]);
    db = t.app.get(DataSource);
    await runDemoSeed(t.app, 'test');
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.close();
  });

  /** A new device: its own cookies, a page watched for CSP reports. */
  async function device(): Promise<Page> {
    const context = await newContext(browser);
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    return story.watch(await context.newPage());
  }

  const pathOf = (page: Page) => new URL(page.url()).pathname;

  /** Where each device stood when a journey broke, for the person reading the CI artifacts. */
  async function explained(journey: () => Promise<void>): Promise<void> {
    try {
      await journey();
    } catch (error) {
      const where: string[] = [];
      for (const [i, context] of contexts.entries()) {
        for (const page of context.pages()) {
          where.push(`device ${i + 1}: ${page.url()}`);
          await screenshot(page, SUITE, `echec-appareil-${i + 1}`).catch(() => undefined);
        }
      }
      throw new Error(`the journey broke (${where.join(', ')}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** The wizard's first step, then "La personne n'est pas présente", the expected person and a fresh TOTP code. */
  async function prepare(counter: Page, person: { nom: string; prenom: string; naissance: string; email: string }, shots: string[]): Promise<string> {
    await counter.goto(`${t.url}/aidant/mandats/nouveau`);
    await tick(counter.getByLabel('Logement', { exact: true }));
    await tick(counter.getByLabel('Famille', { exact: true }));
    await tick(counter.getByLabel('1 mois'));
    await clickAndWait(counter, counter.getByRole('button', { name: 'Continuer' }));
    expect(pathOf(counter)).toBe('/aidant/mandats/nouveau/franceconnect');
    await clickAndWait(counter, counter.getByRole('link', { name: /La personne n’est pas présente/ }));
    expect(pathOf(counter)).toBe('/aidant/mandats/nouveau/a-distance');
    await counter.getByLabel('Nom de naissance').fill(person.nom);
    await counter.getByLabel(/^Prénom/).fill(person.prenom);
    await counter.getByLabel('Date de naissance').fill(person.naissance);
    await counter.getByLabel('Adresse électronique (facultatif)').fill(person.email);
    await counter.getByLabel('Votre code à usage unique').fill(nextTotp(clock));
    if (shots[0]) await story.record(counter, shots[0]);
    await clickAndWait(counter, counter.getByRole('button', { name: 'Préparer la demande' }));
    expect(pathOf(counter)).toMatch(/^\/aidant\/consentements\/[0-9a-f-]{36}$/);
    expect(await visibleText(counter)).toContain('En attente');
    if (shots[1]) await story.record(counter, shots[1]);
    return counter.url();
  }

  /** The last link mailed to `recipient`, read from the mail store (the development outbox shows the same rows). */
  async function mailedLink(recipient: string): Promise<string> {
    const rows: { body: string }[] = await db.query(`SELECT body FROM mail_outbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1`, [recipient]);
    const match = /(https?:\/\/\S+\/consentement\/[A-Za-z0-9_-]{43})/.exec(rows[0]?.body ?? '');
    if (!match) throw new Error(`no consent link mailed to ${recipient}`);
    return match[1]!;
  }

  /** On the usager's device, from the recap: FranceConnect with a simulator identity, back to the decision page. */
  async function identify(home: Page, identity: string, shots: string[]): Promise<void> {
    const simulator = new URL(t.config.franceConnect.issuer!).origin;
    await clickAndWait(home, home.getByRole('button', { name: /S’identifier avec FranceConnect/ }), (u) => u.origin === simulator);
    if (shots[0]) await story.record(home, shots[0]);
    await clickAndWait(home, home.locator(`button[name="identity"][value="${identity}"]`));
    await clickAndWait(home, home.locator('button[name="decision"][value="continue"]'), (u) => u.origin === new URL(t.url).origin);
    expect(pathOf(home)).toBe('/consentement/demande/accord');
    if (shots[1]) await story.record(home, shots[1]);
  }

  it('by email: the link opened on the usager’s own device, consent through FranceConnect, the mandate on the aidant’s dashboard', async () => {
    await explained(async () => {
      const counter = await device();
      await counter.goto(`${t.url}/aidant/connexion`);
      await fillSignIn(counter, AIDANT, clock);
      expect(pathOf(counter)).toBe('/aidant');
      const requestUrl = await prepare(counter, { nom: 'Dubois', prenom: 'Angela', naissance: '24/08/1962', email: 'angela@example.fr' }, [
        'aidant-formulaire-a-distance',
        'aidant-demande-en-attente',
      ]);

      const home = await device();
      await home.goto(await mailedLink('angela@example.fr'));
      // The token leaves the address bar at once.
      expect(pathOf(home)).toBe('/consentement/demande');
      const recap = await visibleText(home);
      expect(recap).toContain('Médiathèque de Vesoul');
      expect(recap).toContain('Karim Benali');
      expect(recap).toContain('Logement');
      expect(recap).toContain('Famille');
      expect(recap).toContain('1 mois');
      expect(recap).toMatch(/révoquer/i);
      await story.record(home, 'usager-recapitulatif');
      await identify(home, 'angela', ['usager-simulateur-identites', 'usager-accord']);
      await clickAndWait(home, home.getByRole('button', { name: 'Je donne mon accord' }));
      expect(pathOf(home)).toBe('/consentement/demande/resultat');
      expect(await visibleText(home)).toContain('Le mandat a été créé');
      await story.record(home, 'usager-mandat-cree');

      // The aidant sees the request accepted, opens the mandate, finds it on the dashboard.
      await counter.goto(requestUrl);
      expect(await visibleText(counter)).toContain('Acceptée');
      await story.record(counter, 'aidant-demande-acceptee');
      await clickAndWait(counter, counter.getByRole('link', { name: 'Voir le mandat créé' }));
      expect(pathOf(counter)).toMatch(/^\/aidant\/mandats\/[0-9a-f-]{36}$/);
      const mandatePage = await visibleText(counter);
      expect(mandatePage).toContain('Angela Claire Louise');
      expect(mandatePage).toContain('Donné à distance par courriel');
      await story.record(counter, 'aidant-mandat-a-distance');
      const mandatePath = pathOf(counter);
      await counter.goto(`${t.url}/aidant`);
      expect(await counter.locator(`main a[href="${mandatePath}"]`).count()).toBeGreaterThan(0);
      expect(await visibleText(counter)).toContain('Angela Claire Louise MARTIN');
      await story.record(counter, 'aidant-tableau-de-bord');
    });
    expect(story.csp).toEqual({});
    expect(story.axe).toEqual({});
  }, 120_000);

  it('by phone: the code shown to the aidant, typed by the usager at /consentement', async () => {
    await explained(async () => {
      const counter = await device();
      await counter.goto(`${t.url}/aidant/connexion`);
      await fillSignIn(counter, AIDANT, clock);
      const requestUrl = await prepare(counter, { nom: 'Santoni', prenom: 'Paul-Antoine', naissance: '17/03/1948', email: '' }, ['', 'aidant-code-a-lire']);
      const code = (await counter.locator('.consent-code').innerText()).trim();
      expect(code).toMatch(/^[A-Z0-9]{4} [A-Z0-9]{4}$/);

      const phone = await device();
      await phone.goto(`${t.url}/consentement`);
      await phone.getByLabel('Code de la demande').fill(code.toLowerCase());
      await story.record(phone, 'usager-saisie-du-code');
      await clickAndWait(phone, phone.getByRole('button', { name: 'Voir la demande' }));
      expect(pathOf(phone)).toBe('/consentement/demande');
      expect(await visibleText(phone)).toContain('Karim Benali');
      await identify(phone, 'paul', []);
      await clickAndWait(phone, phone.getByRole('button', { name: 'Je donne mon accord' }));
      expect(await visibleText(phone)).toContain('Le mandat a été créé');

      await counter.goto(requestUrl);
      const page = await visibleText(counter);
      expect(page).toContain('Acceptée');
      // Shown once: the code is no longer on the request's page.
      expect(await counter.locator('.consent-code').count()).toBe(0);
      await clickAndWait(counter, counter.getByRole('link', { name: 'Voir le mandat créé' }));
      const phoneMandate = await visibleText(counter);
      expect(phoneMandate).toContain('Paul-Antoine');
      expect(phoneMandate).toContain('Donné à distance par téléphone avec un code');
      await story.record(counter, 'aidant-mandat-par-telephone');
    });
    expect(story.csp).toEqual({});
    expect(story.axe).toEqual({});
  }, 120_000);
});
