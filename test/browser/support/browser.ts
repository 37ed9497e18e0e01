import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { watchPageProblems } from './page-problems.js';

/**
 * Debian's Chromium, driven headless by playwright-core (which never
 * downloads a browser of its own). `CHROMIUM_PATH` points elsewhere.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots and PDFs of a run are kept (ignored by git). */
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'browser');

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * A headless Chromium with a fresh profile. Background networking is off:
 * this machine has no internet, and Chromium's update and sync probes would
 * only add refused connections and noise.
 */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      // French interface (date fields read jj/mm/aaaa in screenshots), as at a counter in France.
      '--lang=fr-FR',
    ],
  });
  // Every context, however a suite makes it, is watched for console errors and failed requests.
  const open = browser.newContext.bind(browser);
  browser.newContext = async (options?: BrowserContextOptions) => watchPageProblems(await open(options));
  return browser;
}

export interface ContextOptions {
  width?: number;
  height?: number;
  /** Device pixels per CSS pixel (a high-resolution capture, such as a phone photographing a printed QR code). */
  deviceScaleFactor?: number;
  /** Cookies to start with (the same person's session on another context). */
  storageState?: BrowserContextOptions['storageState'];
}

/** A French-speaking browser context, as at a counter in France. */
export async function newContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
    ...(options.storageState ? { storageState: options.storageState } : {}),
  });
}

/** Saves a full-page screenshot as test-artifacts/browser/<suite>/<name>.png. */
export async function screenshot(page: Page, suite: string, name: string): Promise<string> {
  const dir = join(ARTIFACTS_DIR, suite);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page and returns the violations of impact serious or
 * critical. The script is evaluated through the DevTools protocol, not added
 * as a <script> element, so the page's strict CSP stays exactly as served.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Collects what the page reports against its Content-Security-Policy (a
 * blocked inline script or style would show here), for the suite to assert
 * that there is none.
 */
export function watchCspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}
