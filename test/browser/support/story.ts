import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import jsqr from 'jsqr';
import { Secret, TOTP } from 'otpauth';
import { PNG } from 'pngjs';
import type { ManualClock } from '../../../src/clock/clock.js';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../../../src/seed/demo-seed.js';
import { screenshot, seriousAxeViolations, watchCspViolations, type AxeViolation } from './browser.js';

/**
 * Keeps the evidence of a browser journey: a numbered screenshot of every
 * page the story stops on, the serious accessibility violations found there,
 * and what the pages reported against their Content-Security-Policy. The
 * suite asserts on all of it at the end, so that one run lists every page at
 * fault instead of stopping at the first.
 */
export class StoryRecorder {
  readonly axe: Record<string, AxeViolation[]> = {};
  readonly csp: Record<string, string[]> = {};
  readonly shots: string[] = [];
  private readonly watched = new Map<Page, { seen: string[]; reported: number }>();

  constructor(private readonly suite: string) {}

  /** Starts listening to a page's console for CSP reports (call once per page, before it navigates). */
  watch(page: Page): Page {
    this.watched.set(page, { seen: watchCspViolations(page), reported: 0 });
    return page;
  }

  /** Screenshot `NN-name.png`, axe on the page, and the CSP reports since the last record of this page. */
  async record(page: Page, name: string): Promise<void> {
    await page.waitForLoadState('load');
    const label = `${String(this.shots.length + 1).padStart(2, '0')}-${name}`;
    this.shots.push(label);
    await screenshot(page, this.suite, label);
    const where = `${label} (${new URL(page.url()).pathname})`;
    const violations = await seriousAxeViolations(page);
    if (violations.length > 0) this.axe[where] = violations;
    const watch = this.watched.get(page);
    if (!watch) throw new Error(`page of ${label} is not watched for CSP reports`);
    const fresh = watch.seen.slice(watch.reported);
    watch.reported = watch.seen.length;
    if (fresh.length > 0) this.csp[where] = fresh;
  }
}

/**
 * The code the demo authenticator app shows, one TOTP step after the previous
 * code: the app refuses a code twice, and the suite's clock only moves when
 * told to.
 */
export function nextTotp(clock: ManualClock): string {
  clock.advance(30_000);
  return TOTP.generate({ secret: Secret.fromBase32(DEMO_TOTP_SECRET), period: 30, digits: 6, timestamp: clock.nowMs() });
}

/** Fills the aidant sign-in form (`/aidant/connexion` or a partner's "Connexion avec Procuration") and submits it. */
export async function fillSignIn(page: Page, email: string, clock: ManualClock): Promise<void> {
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(DEMO_PASSWORD);
  await page.getByLabel('Code à usage unique').fill(nextTotp(clock));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Se connecter' }).click()]);
}

/**
 * Ticks a DSFR checkbox or radio button the way a person does, by clicking
 * its label (DSFR draws the box on the label and hides the input under it).
 */
export async function tick(input: Locator): Promise<void> {
  const id = await input.getAttribute('id');
  if (!id) throw new Error('a checkbox or radio button without id cannot have a bound label');
  await input.page().locator(`label[for="${id}"]`).click();
  if (!(await input.isChecked())) throw new Error(`#${id} is not checked after a click on its label`);
}

/** Clicks and waits for the navigation it starts (a form post, a link, redirects included). */
export async function clickAndWait(page: Page, target: Locator, url?: RegExp | ((url: URL) => boolean)): Promise<void> {
  await Promise.all([url ? page.waitForURL(url) : page.waitForNavigation(), target.click()]);
}

/** The text a person reads on the page (whitespace collapsed). */
export async function visibleText(page: Page, selector = 'main'): Promise<string> {
  return (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ');
}

/** Decodes the QR code shown by an element, from a screenshot of it (as a phone camera would read it). */
export async function decodeQr(element: Locator): Promise<string | null> {
  const png = PNG.sync.read(await element.screenshot());
  // jsqr is CommonJS: its `module.exports` is the decoder and also carries it as `default` (the name its types know).
  const found = jsqr.default(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), png.width, png.height);
  return found?.data ?? null;
}

/**
 * What can be read cheaply from a PDF printed by Chromium: its page count
 * and its title (the page's <title>, in the document information, UTF-16
 * hex). The text itself is drawn glyph by glyph in compressed streams.
 */
export function pdfFacts(pdf: Buffer): { pages: number; title: string | null } {
  const raw = pdf.toString('latin1');
  const pages = raw.match(/\/Type\s*\/Page\b/g)?.length ?? 0;
  const hex = /\/Title\s*<FEFF([0-9A-Fa-f]*)>/.exec(raw)?.[1];
  return { pages, title: hex === undefined ? null : Buffer.from(hex, 'hex').swap16().toString('utf16le') };
}

/** Lines of a downloaded file, for the offline verifier (which reads any async iterable of lines). */
export async function* linesOf(path: string): AsyncIterable<string> {
  const text = readFileSync(path, 'utf8');
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  for (const line of lines) yield line;
}
