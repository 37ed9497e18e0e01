import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import type { DemarcheId } from '../../src/demarches/demarches.js';
import { MandateOpeningService } from '../../src/mandates/mandate-opening.service.js';
import type { Duration, MandateView } from '../../src/mandates/mandates.types.js';
import type { ManualClock } from '../../src/clock/clock.js';
import { clickButton, formsOf, type Page, type TestBrowser } from '../franceconnect/support/browser.js';
import { TEST_PASSWORD, totpAt } from './aidants.js';
import type { VerifiedIdentity } from '../../src/franceconnect/franceconnect.client.js';
import { UsagersService } from '../../src/usagers/usagers.service.js';
import type { TestApp } from './test-app.js';
import { pickIdentity, submitForm } from './usagers.js';

/** A usager record for service-level tests, as if FranceConnect had reported a fresh identity. */
export async function seedUsager(t: TestApp, claims: Partial<VerifiedIdentity> = {}): Promise<string> {
  const identity: VerifiedIdentity = {
    sub: `${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}v1`,
    givenName: 'Angela Claire Louise',
    familyName: 'Dubois',
    birthdate: '1962-08-24',
    gender: 'female',
    birthplace: '75107',
    birthcountry: '99100',
    email: 'angela@example.fr',
    acr: 'eidas1',
    idTokenHash: 'A'.repeat(43),
    idToken: '',
    ...claims,
  };
  return t.app.get(TransactionRunner).run(async (m) =>
    (await t.app.get(UsagersService).upsertFromIdentity(m, identity, { actor: { type: 'system', id: null }, structureId: null })).id,
  );
}

/** Opens a mandate directly through the service (no wizard), as if FranceConnect consent happened. */
export function openMandate(
  t: TestApp,
  input: { aidantId: string; structureId: string; usagerId: string; demarches: DemarcheId[]; duration?: Duration },
  manager?: EntityManager,
): Promise<MandateView> {
  const run = (m: EntityManager) =>
    t.app.get(MandateOpeningService).open(m, {
      aidantId: input.aidantId,
      structureId: input.structureId,
      usagerId: input.usagerId,
      choice: { demarches: input.demarches, duration: input.duration ?? 'mois' },
      consent: { kind: 'franceconnect', acr: 'eidas1', authTime: Math.floor(Date.now() / 1000), idTokenHash: 'A'.repeat(43) },
      submissionId: randomUUID(),
      declaredAt: new Date(),
      totpConfirmedAt: new Date(),
    });
  return manager ? run(manager) : t.app.get(TransactionRunner).run(run);
}

/** Moves a mandate (and its autorisations) `days` into the past, keeping its duration: time travel for expiry tests. */
export async function backdateMandate(t: TestApp, mandateId: string, days: number): Promise<void> {
  const shift = `interval '24 hours' * ${Number(days)}`;
  const db = t.app.get(DataSource);
  await db.query(`UPDATE mandates SET created_at = created_at - ${shift}, expires_at = expires_at - ${shift} WHERE id = $1`, [mandateId]);
  await db.query(`UPDATE autorisations SET created_at = created_at - ${shift} WHERE mandate_id = $1`, [mandateId]);
}

// ---- The counter over real HTTP (after the usagers module: FranceConnect round trips) ----

/** Posts a form with repeated fields (`demarches`), as a browser does for checkboxes. */
export function postEntries(browser: TestBrowser, url: string, entries: Array<[string, string]>): Promise<Page> {
  const go = (browser as unknown as { go: (u: string, init: { method: string; body: string; headers: Record<string, string> }) => Promise<Page> }).go;
  return go.call(browser, url, {
    method: 'POST',
    body: new URLSearchParams(entries).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

export function csrfIn(page: Page): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page.html);
  if (!match) throw new Error(`no CSRF field on ${page.url} (status ${page.status})`);
  return match[1]!;
}

/** Signs an aidant in through the real form in a cross-origin test browser. */
export async function signInAtCounter(t: TestApp, browser: TestBrowser, clock: ManualClock, email: string): Promise<Page> {
  const form = await browser.get(`${t.url}/aidant/connexion`);
  return postEntries(browser, `${t.url}/aidant/connexion`, [
    ['_csrf', csrfIn(form)],
    ['email', email],
    ['password', TEST_PASSWORD],
    ['totp', totpAt(clock)],
  ]);
}

/** Step 1 of the wizard: the démarches and the duration. */
export async function chooseAtCounter(t: TestApp, browser: TestBrowser, demarches: string[], duree: string): Promise<Page> {
  const form = await browser.get(`${t.url}/aidant/mandats/nouveau`);
  return postEntries(browser, `${t.url}/aidant/mandats/nouveau`, [
    ['_csrf', csrfIn(form)],
    ...demarches.map((d): [string, string] => ['demarches', d]),
    ['duree', duree],
  ]);
}

/** Step 2: the usager picks a simulator identity; the browser comes back (after the FC logout) to the recap. */
export async function consentAtCounter(browser: TestBrowser, consentPage: Page, identity: string): Promise<Page> {
  const fc = await submitForm(browser, consentPage, '/aidant/mandats/nouveau/franceconnect');
  const after = await pickIdentity(browser, fc, identity);
  // The usager is signed out of FranceConnect at once (the simulator asks to confirm, as FranceConnect does).
  const logout = formsOf(after).some((form) => form.buttons.some((b) => b.name === 'logout'));
  return logout ? clickButton(browser, after, 'logout', 'yes') : after;
}

/** Step 3: declaration and a fresh TOTP code (the clock moves one step so the code is new). */
export async function confirmAtCounter(t: TestApp, browser: TestBrowser, clock: ManualClock, recap: Page, fields: Array<[string, string]> | null = null): Promise<Page> {
  clock.advance(30_000);
  return postEntries(browser, `${t.url}/aidant/mandats/nouveau/recapitulatif`, [
    ['_csrf', csrfIn(recap)],
    ...(fields ?? [
      ['declaration', 'oui'],
      ['totp', totpAt(clock)],
    ]),
  ]);
}

export async function countRows(t: TestApp, table: 'mandates' | 'autorisations' | 'mandate_consents' | 'usagers'): Promise<number> {
  const rows: Array<{ n: string }> = await t.app.get(DataSource).query(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

export function mandateIdOf(page: Page): string {
  const match = /\/aidant\/mandats\/([0-9a-f-]{36})/.exec(page.url);
  if (!match) throw new Error(`not a mandate page: ${page.url} (status ${page.status})`);
  return match[1]!;
}
