import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactVerify, createRemoteJWKSet } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import { ManualClock } from '../../src/clock/clock.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { MandateRevocationService } from '../../src/mandates/mandate-revocation.service.js';
import type { MandateView } from '../../src/mandates/mandates.types.js';
import { TestBrowser, type Page } from '../franceconnect/support/browser.js';
import { journalOf, seedAidant, seedStructure } from '../support/aidants.js';
import { backdateMandate, openMandate, seedUsager, signInAtCounter } from '../support/mandates.js';
import { decodeQrSvg, qrSide } from '../support/qr.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FOLLOW_ALL } from '../support/usagers.js';

const PER_MINUTE = 5;

/**
 * Issue 21 (point 10) and issue 16 (point 6): an attestation is signed once
 * and stored; viewing it writes nothing; an ended mandate's attestation says
 * so; the QR code holds a short link that decodes; anonymous verification is
 * rate-limited per address and journaled once per attestation and day.
 */
describe('security: attestations are signed once', () => {
  let t: TestApp;
  const clock = new ManualClock();
  let structureId: string;
  let aidantId: string;
  let counter: TestBrowser;
  const tx = <T>(fn: (m: EntityManager) => Promise<T>) => t.app.get(TransactionRunner).run(fn);
  const db = () => t.app.get(DataSource);

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true', ATTESTATION_VERIFICATIONS_PER_MINUTE: String(PER_MINUTE) }, { clock });
    structureId = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    aidantId = await seedAidant(t, { email: 'vesoul@example.fr', memberships: [{ structureId, roles: ['aidant'] }] });
    counter = new TestBrowser(FOLLOW_ALL);
    clock.advance(30_000);
    await signInAtCounter(t, counter, clock, 'vesoul@example.fr');
  });
  afterAll(() => t.close());

  const open = async (): Promise<MandateView> =>
    openMandate(t, { aidantId, structureId, usagerId: await seedUsager(t), demarches: ['logement', 'argent'], duration: 'long' });

  const jwsOf = (page: Page) => /Signature électronique : ([A-Za-z0-9_.-]+)/.exec(page.html)?.[1];
  const svgsOf = (page: Page) => page.html.match(/<svg[\s\S]*?<\/svg>/g)?.filter((s) => s.includes('stroke="#000000"')) ?? [];

  async function stored(mandateId: string, kind: 'mandate' | 'revocation'): Promise<Array<{ id: string; jws: string }>> {
    return db().query(`SELECT id, jws FROM attestations WHERE mandate_id = $1 AND kind = $2 ORDER BY issued_at`, [mandateId, kind]);
  }

  async function journalCount(): Promise<number> {
    await t.app.get(JournalService).flush();
    return Number((await db().query(`SELECT count(*)::int AS n FROM journal_entries`))[0].n);
  }

  /** An anonymous visitor (a phone reading the QR code) from a given address. */
  async function visit(url: string, address: string): Promise<{ status: number; html: string; retryAfter: string | null }> {
    const response = await fetch(url, { headers: { accept: 'text/html', 'x-forwarded-for': address }, redirect: 'manual' });
    return { status: response.status, html: await response.text(), retryAfter: response.headers.get('retry-after') };
  }

  it('is signed and stored when the mandate is opened; viewing the page signs nothing and journals nothing', async () => {
    const mandate = await open();
    const [attestation] = await stored(mandate.id, 'mandate');
    expect(attestation).toBeDefined();
    expect((await journalOf(t, 'attestation.issued')).filter((e) => e.mandate_id === mandate.id)).toHaveLength(1);

    const before = await journalCount();
    const pages = [];
    for (let i = 0; i < 3; i++) pages.push(await counter.get(`${t.url}/aidant/mandats/${mandate.id}/attestation`));
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(new Set(pages.map(jwsOf))).toEqual(new Set([attestation!.jws]));
    expect(await journalCount()).toBe(before);
    expect(await stored(mandate.id, 'mandate')).toHaveLength(1);

    const { payload } = await compactVerify(attestation!.jws, createRemoteJWKSet(new URL(`${t.url}/.well-known/procuration/jwks.json`)));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ jti: attestation!.id, mandate: mandate.id, kind: 'mandate' });
  });

  it('has a QR code holding a short link (the attestation id, not the signature) that decodes and verifies', async () => {
    const mandate = await open();
    const [attestation] = await stored(mandate.id, 'mandate');
    const page = await counter.get(`${t.url}/aidant/mandats/${mandate.id}/attestation`);
    const svgs = svgsOf(page);
    expect(svgs).toHaveLength(2);
    // Version 6 at most (41 modules + the margin) at error correction M: a phone reads it at any print size.
    expect(qrSide(svgs[0]!)).toBeLessThanOrEqual(43);
    const url = decodeQrSvg(svgs[0]!);
    expect(url).toBe(`${t.url}/attestations/verification?id=${attestation!.id}`);
    expect(url!.length).toBeLessThanOrEqual(120);
    expect(url).not.toContain(attestation!.jws.split('.')[2]);

    const verified = await visit(url!, '192.0.2.10');
    expect(verified.status).toBe(200);
    expect(verified.html).toContain('Attestation authentique : mandat actif');
    expect(verified.html).toContain('Logement');
    expect(verified.html).not.toContain('Angela');
  });

  it('of a revoked mandate says so on the page and at verification; the revocation attestation is signed at revocation', async () => {
    const mandate = await open();
    const [attestation] = await stored(mandate.id, 'mandate');
    await tx((m) =>
      t.app.get(MandateRevocationService).revoke(m, { mandateId: mandate.id, by: { type: 'usager', usagerId: mandate.usagerId }, reason: 'demande_usager' }),
    );
    const revocations = await stored(mandate.id, 'revocation');
    expect(revocations).toHaveLength(1);

    const before = await journalCount();
    const page = await counter.get(`${t.url}/aidant/mandats/${mandate.id}/attestation`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Ce mandat a été révoqué');
    // Each printed copy carries the mark: it cannot be taken for a live mandate.
    expect(page.html.match(/class="attestation-void"/g)).toHaveLength(2);
    expect(page.html).toContain('MANDAT RÉVOQUÉ');
    expect(page.html).toContain(`/aidant/mandats/${mandate.id}/attestation-revocation`);
    const revocationPages = [
      await counter.get(`${t.url}/aidant/mandats/${mandate.id}/attestation-revocation`),
      await counter.get(`${t.url}/aidant/mandats/${mandate.id}/attestation-revocation`),
    ];
    expect(revocationPages.map(jwsOf)).toEqual([revocations[0]!.jws, revocations[0]!.jws]);
    expect(revocationPages[0]!.html).toContain('Attestation de révocation de mandat');
    expect(revocationPages[0]!.html).not.toContain('class="attestation-void"');
    expect(await journalCount()).toBe(before);

    const verified = await visit(`${t.url}/attestations/verification?id=${attestation!.id}`, '192.0.2.20');
    expect(verified.html).toContain('Attestation authentique : mandat révoqué');
    expect(verified.html).toContain('n’est plus valable');
  });

  it('of an expired mandate says so on each printed copy', async () => {
    const mandate = await openMandate(t, { aidantId, structureId, usagerId: await seedUsager(t), demarches: ['papiers'], duration: 'court' });
    await backdateMandate(t, mandate.id, 2);
    const page = await counter.get(`${t.url}/aidant/mandats/${mandate.id}/attestation`);
    expect(page.html).toContain('Ce mandat a expiré');
    expect(page.html.match(/class="attestation-void"/g)).toHaveLength(2);
    expect(page.html).toContain('MANDAT EXPIRÉ');
  });

  it('verification is rate-limited per address (429, French page) and journaled once per attestation and day', async () => {
    const mandate = await open();
    const [attestation] = await stored(mandate.id, 'mandate');
    const url = `${t.url}/attestations/verification?id=${attestation!.id}`;
    const statuses: number[] = [];
    for (let i = 0; i < PER_MINUTE + 2; i++) statuses.push((await visit(url, '198.51.100.7')).status);
    expect(statuses).toEqual([...Array(PER_MINUTE).fill(200), 429, 429]);
    const refused = await visit(url, '198.51.100.7');
    expect(refused.status).toBe(429);
    expect(refused.html).toContain('Trop de vérifications');
    expect(refused.html).toContain('minute');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // Pasting the signature counts the same.
    expect((await visit(`${t.url}/attestations/verification?jws=${attestation!.jws}`, '198.51.100.7')).status).toBe(429);
    // Another address is not affected; the same one is served again the next minute.
    expect((await visit(url, '198.51.100.8')).status).toBe(200);
    clock.advance(60_000);
    expect((await visit(url, '198.51.100.7')).status).toBe(200);

    const verified = async () => (await journalOf(t, 'attestation.verified')).filter((e) => e.mandate_id === mandate.id);
    expect(await verified()).toHaveLength(1);
    expect((await verified())[0]).toMatchObject({ actor_type: 'system', usager_id: null, details: { status: 'live' } });
    clock.advance(24 * 3600_000);
    expect((await visit(url, '198.51.100.9')).status).toBe(200);
    expect((await visit(url, '198.51.100.9')).status).toBe(200);
    expect(await verified()).toHaveLength(2);
  });

  it('counts parallel verifications from one address atomically: exactly the limit are served', async () => {
    const mandate = await open();
    const [attestation] = await stored(mandate.id, 'mandate');
    const url = `${t.url}/attestations/verification?id=${attestation!.id}`;
    const statuses = (await Promise.all(Array.from({ length: PER_MINUTE * 3 }, () => visit(url, '198.51.100.99')))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(PER_MINUTE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(PER_MINUTE * 2);
    expect((await journalOf(t, 'attestation.verified')).filter((e) => e.mandate_id === mandate.id)).toHaveLength(1);
  });

  it.each([
    ['a malformed id', 'id=1234', 400, 'lien de vérification'],
    ['an unknown id', 'id=00000000-0000-4000-8000-000000000000', 400, 'inconnue'],
  ])('refuses %s with a French page', async (_name, query, status, message) => {
    const page = await visit(`${t.url}/attestations/verification?${query}`, '203.0.113.5');
    expect(page.status).toBe(status);
    expect(page.html).toContain(message);
  });
});
