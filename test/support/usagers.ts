import { DataSource } from 'typeorm';
import { clickButton, formsOf, TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { identitiesOn } from '../franceconnect/support/fc-flow.js';
import type { TestApp } from './test-app.js';

/** Never matches: the browser follows every redirect, across the app and FranceConnect. */
export const FOLLOW_ALL = 'never-stop:';

/** A browser (cookie jar, redirects followed across origins) for the app and its FranceConnect simulator. */
export function usagerBrowser(stopAt = FOLLOW_ALL): TestBrowser {
  return new TestBrowser(stopAt);
}

/** Submits the form whose action ends with `actionPath` (hidden fields, CSRF token included). */
export function submitForm(browser: TestBrowser, page: Page, actionPath: string): Promise<Page> {
  const form = formsOf(page).find((candidate) => new URL(candidate.action).pathname === actionPath);
  if (!form) throw new Error(`no form posting to ${actionPath} on ${page.url} (status ${page.status})`);
  return browser.post(form.action, form.hidden);
}

/** Opens /usager and presses "S'identifier avec FranceConnect": the simulator's identity page (or where it stopped). */
export async function startUsagerSignIn(t: TestApp, browser: TestBrowser): Promise<Page> {
  const home = await browser.get(`${t.url}/usager`);
  return submitForm(browser, home, '/usager/connexion');
}

/**
 * Chooses `identity` at the simulator and accepts the transmission of data.
 * Returns the page the browser ends on (the usager's space when all goes
 * well), or the callback address when the browser stops there.
 */
export async function pickIdentity(browser: TestBrowser, identityPage: Page, identity: string): Promise<Page> {
  if (!identitiesOn(identityPage).includes(identity)) {
    throw new Error(`identity ${identity} not offered at ${identityPage.url} (status ${identityPage.status})`);
  }
  const page = await clickButton(browser, identityPage, 'identity', identity);
  if (page.stopped || formsOf(page).every((form) => !form.buttons.some((b) => b.name === 'decision'))) return page;
  return clickButton(browser, page, 'decision', 'continue');
}

/** Signs in to /usager with a simulator identity, through every page, and returns the usager's space. */
export async function signInAsUsager(t: TestApp, browser: TestBrowser, identity: string): Promise<Page> {
  return pickIdentity(browser, await startUsagerSignIn(t, browser), identity);
}

export async function countUsagers(t: TestApp): Promise<number> {
  const rows: { n: string }[] = await t.app.get(DataSource).query(`SELECT count(*) AS n FROM usagers`);
  return Number(rows[0]!.n);
}
