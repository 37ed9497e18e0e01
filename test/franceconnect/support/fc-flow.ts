import { clickButton, formsOf, type Page, type TestBrowser } from './browser.js';

/** The identity ids offered by the simulator's sign-in page. */
export function identitiesOn(page: Page): string[] {
  return formsOf(page).flatMap((form) => form.buttons.filter((b) => b.name === 'identity').map((b) => b.value));
}

/**
 * Drives the simulator like a browser: opens the authorization URL, chooses
 * `identity`, accepts the transmission of data, and returns the address the
 * browser is finally sent to (the relying party's callback).
 */
export async function signInAtSimulator(browser: TestBrowser, authorizationUrl: string, identity: string): Promise<string> {
  const signInPage = await browser.get(authorizationUrl);
  if (!identitiesOn(signInPage).includes(identity)) {
    throw new Error(`identity ${identity} not offered (status ${signInPage.status})`);
  }
  let page = await clickButton(browser, signInPage, 'identity', identity);
  if (!page.stopped) page = await clickButton(browser, page, 'decision', 'continue');
  if (!page.stopped) throw new Error(`not sent back to the relying party (status ${page.status}): ${page.html.slice(0, 300)}`);
  return page.url;
}
