import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext } from 'playwright-core';
import { ManualClock } from '../../src/clock/clock.js';
import { seedAidant, seedStructure, totpAt } from '../support/aidants.js';
import { openMandate, seedUsager } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ARTIFACTS_DIR, launchBrowser, screenshot } from './support/browser.js';
import { focused, tabUntil, type Focused } from './support/keyboard.js';
import { consentAtSimulator, fill, pathOf, press, submitSignIn, tick } from './support/pages.js';

/**
 * How the counter pages behave for the people who use them: keyboard only,
 * without JavaScript, on a 360 px wide phone, and printed.
 */
describe('the counter pages: keyboard, no JavaScript, small screens, print', () => {
  const clock = new ManualClock();
  let t: TestApp;
  let browser: Browser;
  let mandateId: string;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    browser = await launchBrowser();
    const structureId = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    const aidantId = await seedAidant(t, { email: 'karim@example.fr', givenName: 'Karim', familyName: 'Benali', memberships: [{ structureId, roles: ['aidant', 'referent'] }] });
    const usager = await seedUsager(t, { givenName: 'Alice', familyName: 'Durand', birthdate: '1980-06-15' });
    mandateId = (await openMandate(t, { aidantId, structureId, usagerId: usager, demarches: ['logement', 'social'], duration: 'long' })).id;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  function context(options: { width?: number; javaScript?: boolean } = {}): Promise<BrowserContext> {
    return browser.newContext({
      locale: 'fr-FR',
      timezoneId: 'Europe/Paris',
      viewport: { width: options.width ?? 1280, height: 800 },
      javaScriptEnabled: options.javaScript ?? true,
    });
  }

  function freshCode(): string {
    clock.advance(30_000);
    return totpAt(clock);
  }

  const named = (name: string | RegExp) => (f: Focused) => (typeof name === 'string' ? f.name === name : name.test(f.name));

  it('the mandate wizard with the keyboard only: skip link first, then the header, then the fields in visual order, focus always visible', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto(`${t.url}/aidant/connexion`);
    await submitSignIn(page, 'karim@example.fr', freshCode());
    await page.goto(`${t.url}/aidant/mandats/nouveau`);

    // Step 1: from the top of the page to the "Continuer" button.
    const path = await tabUntil(page, named('Continuer'));
    expect(path[0]).toMatchObject({ region: 'skiplinks', name: 'Contenu' });
    const regions = path.map((f) => f.region);
    const order = ['skiplinks', 'header', 'breadcrumb', 'main'];
    expect(regions.map((r) => order.indexOf(r))).toEqual([...regions.map((r) => order.indexOf(r))].sort((a, b) => a - b));
    expect(regions).toEqual(expect.arrayContaining(['header', 'breadcrumb', 'main']));
    const fields = path.filter((f) => f.region === 'main' && (f.tag === 'input' || f.tag === 'button'));
    expect(fields.map((f) => f.id).slice(0, 3)).toEqual(['demarche-papiers', 'demarche-famille', 'demarche-social']);
    // Visual order: each field is at or below the one before it.
    for (let i = 1; i < fields.length; i += 1) expect(fields[i]!.top).toBeGreaterThanOrEqual(fields[i - 1]!.top - 1);
    const unseen = path.filter((f) => !f.visible).map((f) => `${f.region}:${f.tag}#${f.id} ${f.name}`);
    expect(unseen).toEqual([]);

    // Back up with Shift+Tab, tick Logement and Argent with Space, then the duration (Tab enters a radio group on its first button), Enter.
    await tabUntil(page, (f) => f.id === 'demarche-logement', { back: true });
    await page.keyboard.press('Space');
    await tabUntil(page, (f) => f.id === 'demarche-argent');
    await page.keyboard.press('Space');
    await tabUntil(page, (f) => f.id === 'duree-court');
    await page.keyboard.press('Space');
    await tabUntil(page, named('Continuer'));
    await Promise.all([page.waitForURL('**/aidant/mandats/nouveau/franceconnect'), page.keyboard.press('Enter')]);
    await screenshot(page, 'counter', 'clavier-01-etape-2');

    // Step 2: the FranceConnect button, then the simulator, all with Tab and Enter.
    const toFc = await tabUntil(page, named(/S’identifier avec FranceConnect/));
    expect(toFc.every((f) => f.visible)).toBe(true);
    await Promise.all([page.waitForURL(`${t.simulator!.issuer}/**`), page.keyboard.press('Enter')]);
    await tabUntil(page, named(/^Angela/));
    await Promise.all([page.waitForURL('**/consent'), page.keyboard.press('Enter')]).catch(() => undefined);
    await page.waitForLoadState('load');
    await tabUntil(page, named(/^Continuer sur/));
    await Promise.all([page.waitForURL('**/session/end**'), page.keyboard.press('Enter')]);
    await tabUntil(page, named('Se déconnecter'));
    await Promise.all([page.waitForURL('**/aidant/mandats/nouveau/recapitulatif'), page.keyboard.press('Enter')]);

    // Step 3: the declaration with Space, the code typed, Enter on the button.
    const toDeclaration = await tabUntil(page, (f) => f.id === 'declaration');
    expect(toDeclaration.every((f) => f.visible)).toBe(true);
    await page.keyboard.press('Space');
    await tabUntil(page, (f) => f.id === 'totp');
    expect((await focused(page))!.visible).toBe(true);
    await page.keyboard.type(freshCode());
    await tabUntil(page, named('Créer le mandat'));
    await Promise.all([page.waitForURL(/\/aidant\/mandats\/[0-9a-f-]{36}(\?|$)/), page.keyboard.press('Enter')]);
    await expect(page.locator('.fr-alert--success').innerText()).resolves.toContain('Le mandat a été créé');
    await screenshot(page, 'counter', 'clavier-02-mandat-cree');
    await ctx.close();
  }, 180_000);

  it('works with JavaScript turned off: sign-in, the whole wizard, the mandate and signing out', async () => {
    const ctx = await context({ javaScript: false, width: 360 });
    const page = await ctx.newPage();
    await page.goto(`${t.url}/aidant/connexion`);
    await submitSignIn(page, 'karim@example.fr', freshCode());
    expect(pathOf(page)).toBe('/aidant');
    await press(page, 'Nouveau mandat');
    await tick(page, 'Logement');
    await tick(page, '1 mois');
    await press(page, 'Continuer');
    expect(pathOf(page)).toBe('/aidant/mandats/nouveau/franceconnect');
    await press(page, /S’identifier avec FranceConnect/);
    await consentAtSimulator(page, /^Lucía/);
    expect(pathOf(page)).toBe('/aidant/mandats/nouveau/recapitulatif');
    await tick(page, /^Je déclare/);
    await fill(page, /^Votre code à usage unique/, freshCode());
    await press(page, 'Créer le mandat');
    expect(pathOf(page)).toMatch(/^\/aidant\/mandats\/[0-9a-f-]{36}$/);
    await screenshot(page, 'counter', 'sans-js-01-mandat-cree');
    // Signing out stays reachable on a phone without the DSFR's menu script.
    const signOut = page.locator('header').getByRole('button', { name: 'Se déconnecter' });
    expect(await signOut.isVisible()).toBe(true);
    await signOut.click();
    await page.waitForLoadState('load');
    await expect(page.locator('h1').innerText()).resolves.toBe('Vous êtes déconnecté');
    await ctx.close();
  }, 120_000);

  it('no horizontal scrolling at 360 px on the main pages', async () => {
    const ctx = await context({ width: 360 });
    const page = await ctx.newPage();
    const wide: string[] = [];
    const check = async (name: string) => {
      const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
      if (width > 360) {
        // Name the widest culprits, to fix the right element.
        const culprits = await page.evaluate(() =>
          [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > 360 && !el.closest('.fr-table'))
            .slice(-3)
            .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`),
        );
        wide.push(`${name} (${pathOf(page)}): ${width} px [${culprits.join(', ')}]`);
      }
      await screenshot(page, 'counter', `360-${name}`);
    };
    for (const [name, path] of [
      ['accueil', '/'],
      ['connexion-aidant', '/aidant/connexion'],
      ['connexion-usager', '/usager'],
      ['verification-attestation', '/attestations/verification'],
      ['erreur-404', '/nulle-part'],
    ] as const) {
      await page.goto(`${t.url}${path}`);
      await check(name);
    }
    await page.goto(`${t.url}/aidant/connexion`);
    await submitSignIn(page, 'karim@example.fr', freshCode());
    await check('tableau-de-bord');
    for (const [name, path] of [
      ['mandat-etape-1', '/aidant/mandats/nouveau'],
      ['mandat', `/aidant/mandats/${mandateId}`],
      ['attestation', `/aidant/mandats/${mandateId}/attestation`],
      ['renouvellement', `/aidant/mandats/${mandateId}/renouvellement`],
      ['structure', '/structure'],
      ['structure-aidants', '/structure/aidants'],
      ['structure-journal', '/structure/journal'],
      ['structure-verification', '/structure/journal/verification'],
    ] as const) {
      await page.goto(`${t.url}${path}`);
      await check(name);
    }
    await page.goto(`${t.url}/aidant/mandats/nouveau`);
    await tick(page, 'Logement');
    await tick(page, '1 an');
    await press(page, 'Continuer');
    await check('mandat-etape-2');
    await press(page, /S’identifier avec FranceConnect/);
    await check('simulateur');
    await consentAtSimulator(page, /^Angela/);
    await check('mandat-etape-3');
    expect(wide).toEqual([]);
    await ctx.close();
  }, 180_000);

  it('prints the attestation without the site around it: two copies with their text and QR code', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto(`${t.url}/aidant/connexion`);
    await submitSignIn(page, 'karim@example.fr', freshCode());
    await page.goto(`${t.url}/aidant/mandats/${mandateId}/attestation`);
    const shown = () =>
      page.evaluate(() => {
        const visible = (selector: string) => {
          const el = document.querySelector(selector);
          return !!el && getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().height > 0;
        };
        return {
          header: visible('header'),
          footer: visible('footer'),
          breadcrumb: visible('.fr-breadcrumb'),
          instructions: visible('.attestation-screen-only'),
          copy: visible('.attestation-copy'),
          qr: visible('.attestation-qr svg'),
          signatures: visible('.attestation-signatures'),
        };
      });
    expect(await shown()).toEqual({ header: true, footer: true, breadcrumb: true, instructions: true, copy: true, qr: true, signatures: true });
    await page.emulateMedia({ media: 'print' });
    expect(await shown()).toEqual({ header: false, footer: false, breadcrumb: false, instructions: false, copy: true, qr: true, signatures: true });
    await expect(page.locator('.attestation-copy').first().innerText()).resolves.toContain('Alice DURAND, née le 15 juin 1980 à Paris 7e Arrondissement');
    // The PDF the browser prints: one sheet per copy.
    mkdirSync(join(ARTIFACTS_DIR, 'counter'), { recursive: true });
    const pdf = await page.pdf({ path: join(ARTIFACTS_DIR, 'counter', 'attestation.pdf'), format: 'A4' });
    expect(pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)).toHaveLength(2);
    await ctx.close();
  }, 120_000);
});
