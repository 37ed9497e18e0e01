import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/clock/clock.js';
import type { DemarcheId } from '../../src/demarches/demarches.js';
import type { Duration } from '../../src/mandates/mandates.types.js';
import { TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { journalOf, seedAidant, seedStructure, totpAt } from '../support/aidants.js';
import { backdateMandate, countRows, csrfIn, mandateIdOf, openMandate, postEntries, seedUsager, signInAtCounter } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FOLLOW_ALL } from '../support/usagers.js';

/**
 * Finding 2 of the security review: renewal skips FranceConnect, so it may
 * only keep or narrow the démarches and keep or shorten the duration.
 * Anything wider needs the usager's FranceConnect consent (a new mandate).
 */
describe('security: a renewal cannot widen a mandate', () => {
  let t: TestApp;
  const clock = new ManualClock();
  let structureId: string;
  let aidantId: string;
  let browser: TestBrowser;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
    structureId = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    aidantId = await seedAidant(t, { email: 'gray@example.fr', memberships: [{ structureId, roles: ['aidant'] }] });
    browser = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    const home = await signInAtCounter(t, browser, clock, 'gray@example.fr');
    expect(new URL(home.url).pathname).toBe('/aidant');
  });
  afterAll(() => t.close());

  async function mandate(demarches: DemarcheId[], duration: Duration): Promise<string> {
    return (await openMandate(t, { aidantId, structureId, usagerId: await seedUsager(t), demarches, duration })).id;
  }

  /** Posts the renewal form of a mandate as the browser would, with a fresh TOTP code. */
  async function renew(id: string, demarches: string[], duree: string): Promise<Page> {
    const form = await browser.get(`${t.url}/aidant/mandats/${id}/renouvellement`);
    expect(form.status).toBe(200);
    clock.advance(30_000);
    return postEntries(browser, `${t.url}/aidant/mandats/${id}/renouvellement`, [
      ['_csrf', csrfIn(form)],
      ['soumission', /name="soumission" value="([^"]+)"/.exec(form.html)![1]!],
      ...demarches.map((d): [string, string] => ['demarches', d]),
      ['duree', duree],
      ['declaration', 'oui'],
      ['totp', totpAt(clock)],
    ]);
  }

  async function refusedWithNothingWritten(page: Page, before: { mandates: number; consents: number }) {
    expect(page.status).toBe(403);
    expect(page.html).toContain('FranceConnect');
    expect(page.html).toContain('nouveau mandat');
    expect(page.html).toContain('href="/aidant/mandats/nouveau"');
    expect(await countRows(t, 'mandates')).toBe(before.mandates);
    expect(await countRows(t, 'mandate_consents')).toBe(before.consents);
  }

  const counts = async () => ({ mandates: await countRows(t, 'mandates'), consents: await countRows(t, 'mandate_consents') });

  it('says on the renewal page that it can only keep or narrow, and offers only what the usager consented to', async () => {
    const id = await mandate(['logement', 'travail'], 'semestre');
    const page = await browser.get(`${t.url}/aidant/mandats/${id}/renouvellement`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('garder ou réduire les démarches');
    expect(page.html).toContain('href="/aidant/mandats/nouveau"');
    expect(page.html).toContain('name="demarches" value="logement"');
    expect(page.html).toContain('name="demarches" value="travail"');
    expect(page.html).not.toContain('name="demarches" value="argent"');
    expect(page.html).toContain('name="duree" value="semestre"');
    expect(page.html).not.toContain('name="duree" value="long"');
  });

  it.each([
    ['adds démarches and extends to a year (the review’s case)', ['logement'], 'mois', ['logement', 'argent', 'justice'], 'long'],
    ['adds one démarche', ['logement'], 'mois', ['logement', 'argent'], 'mois'],
    ['swaps a démarche for another', ['logement'], 'mois', ['travail'], 'mois'],
    ['extends the duration only', ['logement'], 'mois', ['logement'], 'semestre'],
    ['narrows the démarches but extends the duration', ['logement', 'travail'], 'court', ['logement'], 'mois'],
  ] as const)('refuses a renewal that %s, writes nothing', async (_name, demarches, duration, asked, duree) => {
    const id = await mandate([...demarches], duration);
    const before = await counts();
    const page = await renew(id, [...asked], duree);
    await refusedWithNothingWritten(page, before);
    expect((await journalOf(t, 'mandate.renewed')).filter((e) => e.details.renewedFrom === id)).toHaveLength(0);
  });

  it('accepts keeping, and narrowing with a shorter duration', async () => {
    const kept = await mandate(['logement', 'travail'], 'semestre');
    const same = await renew(kept, ['logement', 'travail'], 'semestre');
    expect(same.status).toBe(200);
    expect(mandateIdOf(same)).not.toBe(kept);

    const wide = await mandate(['logement', 'travail', 'famille'], 'long');
    const narrowed = await renew(wide, ['famille'], 'mois');
    expect(narrowed.status).toBe(200);
    const renewedId = mandateIdOf(narrowed);
    const [entry] = (await journalOf(t, 'mandate.renewed')).filter((e) => e.mandate_id === renewedId);
    expect(entry?.details).toMatchObject({ renewedFrom: wide });
    const [created] = (await journalOf(t, 'mandate.created')).filter((e) => e.mandate_id === renewedId);
    expect(created?.details).toMatchObject({ demarches: ['famille'], duration: 'mois', consent: 'renewal' });
  });

  it('measures against the démarches still held: one revoked on its own cannot come back by renewal', async () => {
    const usagerId = await seedUsager(t);
    const opened = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['logement', 'argent'], duration: 'mois' });
    const argent = opened.autorisations.find((a) => a.demarche === 'argent')!;
    const page = await browser.get(`${t.url}/aidant/mandats/${opened.id}`);
    clock.advance(30_000);
    const revoked = await postEntries(browser, `${t.url}/aidant/mandats/${opened.id}/revocation`, [
      ['_csrf', csrfIn(page)],
      ['motif', 'demande_usager'],
      ['autorisation', argent.id],
    ]);
    expect(revoked.status).toBe(200);
    const before = await counts();
    await refusedWithNothingWritten(await renew(opened.id, ['logement', 'argent'], 'mois'), before);
    expect((await renew(opened.id, ['logement'], 'mois')).status).toBe(200);
  });

  it('applies the same rule to an expired mandate', async () => {
    const id = await mandate(['social'], 'court');
    await backdateMandate(t, id, 2);
    const before = await counts();
    await refusedWithNothingWritten(await renew(id, ['social', 'justice'], 'court'), before);
    await refusedWithNothingWritten(await renew(id, ['social'], 'long'), before);
    const kept = await renew(id, ['social'], 'court');
    expect(kept.status).toBe(200);
    expect(mandateIdOf(kept)).not.toBe(id);
  });
});
