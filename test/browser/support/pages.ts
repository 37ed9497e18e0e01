import type { BrowserContext, Page } from 'playwright-core';
import { TEST_PASSWORD } from '../../support/aidants.js';
import { screenshot, seriousAxeViolations } from './browser.js';

/**
 * Collects, page after page, everything that is wrong with what a person
 * sees: serious or critical axe-core violations, a Content-Security-Policy
 * report, a page not in French, without a title or without exactly one h1.
 * A suite visits its pages, then asserts once that the list is empty, so one
 * run reports every page at fault rather than the first one.
 */
export class PageAuditor {
  readonly problems: string[] = [];
  readonly visited: string[] = [];

  /** `appUrl`: pages of that origin are Procuration's own and carry its header (service name and tagline). */
  constructor(
    private readonly suite: string,
    private readonly appUrl?: string,
  ) {}

  /** Reports the page's CSP violations (a blocked inline script or style) as problems. */
  watch(page: Page): Page {
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) this.problems.push(`${page.url()}: CSP: ${message.text()}`);
    });
    return page;
  }

  /** A new page in `context`, watched. */
  async open(context: BrowserContext): Promise<Page> {
    return this.watch(await context.newPage());
  }

  /**
   * Checks the page as it is now and keeps its screenshot under `name`.
   * `has` names DSFR components the page must show (a breadcrumb on deep
   * pages, the stepper in the wizard, the FranceConnect button).
   */
  async audit(page: Page, name: string, has: Array<'breadcrumb' | 'stepper' | 'franceconnect'> = []): Promise<void> {
    this.visited.push(name);
    const where = `${name} (${new URL(page.url()).pathname})`;
    const shape = await page.evaluate(() => {
      const text = (selector: string) => document.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
      // A field shown in error must point (aria-describedby) at the message that explains it.
      const unbound = [...document.querySelectorAll('.fr-input-group--error, .fr-select-group--error')].flatMap((group) => {
        const field = group.querySelector('input, select, textarea');
        const message = group.querySelector('.fr-error-text');
        const described = (field?.getAttribute('aria-describedby') ?? '').split(/\s+/);
        return field && message && message.id && described.includes(message.id) ? [] : [field?.id ?? group.className];
      });
      const unboundSets = [...document.querySelectorAll('.fr-fieldset--error')].flatMap((set) => {
        const messages = set.querySelector('.fr-messages-group');
        const labelled = (set.getAttribute('aria-labelledby') ?? '').split(/\s+/);
        return messages && messages.id && labelled.includes(messages.id) ? [] : [set.id || set.className];
      });
      return {
        lang: document.documentElement.lang,
        title: document.title.trim(),
        h1: document.querySelectorAll('h1').length,
        service: text('.fr-header__service-title'),
        tagline: text('.fr-header__service-tagline'),
        breadcrumb: document.querySelectorAll('nav.fr-breadcrumb .fr-breadcrumb__link[aria-current="page"]').length === 1,
        stepper: !!document.querySelector('.fr-stepper .fr-stepper__state'),
        franceconnect: !!document.querySelector('.fr-connect-group button.fr-connect'),
        unbound: [...unbound, ...unboundSets],
      };
    });
    if (shape.lang !== 'fr') this.problems.push(`${where}: lang="${shape.lang}"`);
    if (!shape.title) this.problems.push(`${where}: no <title>`);
    if (shape.h1 !== 1) this.problems.push(`${where}: ${shape.h1} h1 elements`);
    if (shape.unbound.length) this.problems.push(`${where}: error messages not bound to ${shape.unbound.join(', ')}`);
    const ours = this.appUrl !== undefined && new URL(page.url()).origin === new URL(this.appUrl).origin;
    if (ours && (shape.service !== 'Procuration' || !shape.tagline)) {
      this.problems.push(`${where}: header without the service name and tagline`);
    }
    for (const component of ['breadcrumb', 'stepper', 'franceconnect'] as const) {
      if (has.includes(component) && !shape[component]) this.problems.push(`${where}: no ${component}`);
    }
    for (const v of await seriousAxeViolations(page)) {
      this.problems.push(`${where}: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(' ')}`);
    }
    await screenshot(page, this.suite, name);
  }
}

/** Types into the field labelled `label` (a regular expression matches labels that carry a hint). */
export async function fill(page: Page, label: string | RegExp, value: string): Promise<void> {
  await page.getByLabel(label, { exact: typeof label === 'string' }).first().fill(value);
}

/**
 * Ticks the DSFR checkbox or radio button labelled `label`, by clicking its
 * label as a person does (the DSFR draws the box over the native input).
 */
export async function tick(page: Page, label: string | RegExp): Promise<void> {
  const input = page.getByLabel(label, { exact: typeof label === 'string' }).first();
  const id = await input.getAttribute('id');
  await page.locator(`label[for="${id}"]`).click();
}

/** Waits until the page has navigated (redirects followed) and the new document is loaded. */
export async function afterNavigation(page: Page, action: () => Promise<void>): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() }), action()]);
  await page.waitForLoadState('load');
}

/** Presses the button or link named `name` and waits for the next page. */
export async function press(page: Page, name: string | RegExp): Promise<void> {
  const exact = typeof name === 'string';
  const target = page.getByRole('button', { name, exact }).or(page.getByRole('link', { name, exact }));
  await afterNavigation(page, () => target.first().click());
}

/** Fills the aidant sign-in form on the current page (Procuration's own or the partner sign-in) and submits it. */
export async function submitSignIn(page: Page, email: string, code: string, password = TEST_PASSWORD): Promise<void> {
  await fill(page, /^Adresse électronique/, email);
  await fill(page, 'Mot de passe', password);
  await fill(page, /^Code à usage unique/, code);
  await press(page, 'Se connecter');
}

/** At the FranceConnect simulator: picks the identity whose label starts with `who`, accepts, and leaves FranceConnect. */
export async function consentAtSimulator(page: Page, who: RegExp, onPage?: (step: 'identites' | 'consentement' | 'deconnexion') => Promise<void>): Promise<void> {
  await onPage?.('identites');
  await press(page, who);
  await onPage?.('consentement');
  await press(page, /^Continuer sur/);
  // The usager is signed out of FranceConnect at once; the simulator asks to confirm, as FranceConnect does.
  if (pathOf(page).endsWith('/session/end')) {
    await onPage?.('deconnexion');
    await press(page, 'Se déconnecter');
  }
}

export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}
