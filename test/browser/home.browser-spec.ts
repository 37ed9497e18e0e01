import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { launchBrowser, newContext, screenshot, seriousAxeViolations, watchCspViolations } from './support/browser.js';

describe('home page in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the DSFR shell under the strict CSP, with no serious accessibility violation', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const csp = watchCspViolations(page);
    const response = await page.goto(`${t.url}/`);
    expect(response?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    await expect(page.locator('header').first().innerText()).resolves.toContain('Procuration');
    // The DSFR stylesheet is loaded from the app itself (CSP 'self').
    const dsfrLoaded = await page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--text-default-grey').trim() !== '');
    expect(dsfrLoaded).toBe(true);
    await screenshot(page, 'home', '01-accueil');
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(csp).toEqual([]);
    await context.close();
  });

  it('the accessibility check does report a serious violation when there is one', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.setContent('<!doctype html><html lang="fr"><title>t</title><main><img src="x.png"><input type="text"></main></html>');
    const ids = (await seriousAxeViolations(page)).map((v) => v.id).sort();
    expect(ids).toEqual(['image-alt', 'label']);
    await context.close();
  });
});
