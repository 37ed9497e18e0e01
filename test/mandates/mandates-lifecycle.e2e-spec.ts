import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CompactSign, compactVerify, createRemoteJWKSet, generateKeyPair } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { ATTESTATION_TYP, AttestationsService } from '../../src/mandates/attestations.service.js';
import { MandateExpiryJob } from '../../src/mandates/mandate-expiry.job.js';
import { MandateRevocationService, type Revoker } from '../../src/mandates/mandate-revocation.service.js';
import { MandatesService } from '../../src/mandates/mandates.service.js';
import type { MandateView } from '../../src/mandates/mandates.types.js';
import { journalOf, seedAidant, seedStructure } from '../support/aidants.js';
import { backdateMandate, openMandate, seedUsager } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('mandates: revocation, expiry and attestations (services)', () => {
  let t: TestApp;
  let structureId: string;
  let otherStructureId: string;
  let aidantId: string;
  const tx = <T>(fn: (m: EntityManager) => Promise<T>) => t.app.get(TransactionRunner).run(fn);
  const byAidant = (): Revoker => ({ type: 'aidant', aidantId, structureId });
  const revoke = (mandateId: string, by: Revoker, autorisationId?: string) =>
    tx((m) => t.app.get(MandateRevocationService).revoke(m, { mandateId, autorisationId, by, reason: 'demande_usager' }));
  const live = (mandateId: string, demarche: string) =>
    tx((m) => t.app.get(MandatesService).isAutorisationLive(m, { mandateId, demarche }));

  beforeAll(async () => {
    t = await startTestApp();
    structureId = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    otherStructureId = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    aidantId = await seedAidant(t, { email: 'cycle@example.fr', memberships: [{ structureId, roles: ['aidant'] }] });
  });
  afterAll(() => t.close());

  describe('revocation', () => {
    it('of one autorisation leaves the others live; of the last one closes the mandate', async () => {
      const usagerId = await seedUsager(t);
      const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['logement', 'travail'] });
      const logement = mandate.autorisations.find((a) => a.demarche === 'logement')!;
      const after = await revoke(mandate.id, byAidant(), logement.id);
      expect(after.mandate.status).toBe('live');
      expect(await live(mandate.id, 'logement')).toBe(false);
      expect(await live(mandate.id, 'travail')).toBe(true);
      const travail = mandate.autorisations.find((a) => a.demarche === 'travail')!;
      expect((await revoke(mandate.id, byAidant(), travail.id)).mandate.status).toBe('revoked');
      const entries = (await journalOf(t, 'autorisation.revoked', 'mandate.revoked')).filter((e) => e.mandate_id === mandate.id);
      // Entries of one transaction share their time: compare as a set.
      expect(entries.map((e) => `${e.action}:${e.demarche}`).sort()).toEqual([
        'autorisation.revoked:logement',
        'autorisation.revoked:travail',
        'mandate.revoked:null',
      ]);
    });

    it.each([
      ['aidant', 'aidant'],
      ['referent', 'aidant'],
      ['usager', 'usager'],
    ] as const)('of a whole mandate by the %s (journal actor %s), at once and only once', async (type, actorType) => {
      const usagerId = await seedUsager(t);
      const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['social', 'famille'] });
      const by: Revoker = type === 'usager' ? { type, usagerId } : { type, aidantId, structureId };
      expect((await revoke(mandate.id, by)).mandate.status).toBe('revoked');
      expect(await live(mandate.id, 'social')).toBe(false);
      expect(await tx((m) => t.app.get(MandatesService).findLiveAutorisations(m, { structureId, usagerId }))).toEqual([]);
      await expect(revoke(mandate.id, by)).rejects.toMatchObject({ status: 409, code: 'mandate.not_live' });
      const [entry] = (await journalOf(t, 'mandate.revoked')).filter((e) => e.mandate_id === mandate.id);
      expect(entry).toMatchObject({ actor_type: actorType, details: { by: type, reason: 'demande_usager' } });
    });

    it.each([
      ['an aidant of another structure', (_u: string): Revoker => ({ type: 'aidant', aidantId: 'x', structureId: otherStructureId })],
      ['another usager', (_u: string): Revoker => ({ type: 'usager', usagerId: '00000000-0000-4000-8000-000000000000' })],
    ])('refused to %s with the not-found answer, nothing written', async (_name, by) => {
      const usagerId = await seedUsager(t);
      const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['papiers'] });
      await expect(revoke(mandate.id, by(usagerId))).rejects.toMatchObject({ status: 404 });
      expect(await live(mandate.id, 'papiers')).toBe(true);
    });

    it('of an expired mandate is refused', async () => {
      const usagerId = await seedUsager(t);
      const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['papiers'], duration: 'court' });
      await backdateMandate(t, mandate.id, 1);
      await expect(revoke(mandate.id, byAidant())).rejects.toMatchObject({ status: 409 });
    });
  });

  describe('expiry job', () => {
    it('journals mandate.expired exactly once per mandate, even with concurrent runs', async () => {
      const job = t.app.get(MandateExpiryJob);
      await job.runOnce();
      const usagerId = await seedUsager(t);
      const ending = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['justice'], duration: 'court' });
      const revoked = await openMandate(t, { aidantId, structureId, usagerId: await seedUsager(t), demarches: ['justice'], duration: 'court' });
      await revoke(revoked.id, byAidant());
      expect(await job.runOnce()).toBe(0);
      await backdateMandate(t, ending.id, 1);
      await backdateMandate(t, revoked.id, 1);
      // A second "instance": a job of its own working on the same database.
      const instance = () => new MandateExpiryJob(t.app.get(TransactionRunner), (job as unknown as { journal: never }).journal);
      const counts = await Promise.all([job.runOnce(), instance().runOnce(), instance().runOnce()]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
      expect(await job.runOnce()).toBe(0);
      const entries = (await journalOf(t, 'mandate.expired')).filter((e) => e.mandate_id === ending.id || e.mandate_id === revoked.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ mandate_id: ending.id, actor_type: 'system', chain: structureId });
    });

    it('lists mandates ending within 30 days', async () => {
      const usagerId = await seedUsager(t);
      const soon = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['transports'], duration: 'mois' });
      const later = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['loisirs'], duration: 'semestre' });
      const ids = (await tx((m) => t.app.get(MandatesService).expiringSoon(m, structureId))).map((v) => v.id);
      expect(ids).not.toContain(soon.id); // 31 days left
      await backdateMandate(t, soon.id, 2);
      const after = (await tx((m) => t.app.get(MandatesService).expiringSoon(m, structureId))).map((v) => v.id);
      expect(after).toContain(soon.id);
      expect(after).not.toContain(later.id);
    });
  });

  describe('attestations', () => {
    let mandate: MandateView;
    let jws: string;
    const printable = (kind: 'mandate' | 'revocation', view: MandateView) =>
      tx((m) => t.app.get(AttestationsService).printable(m, { kind, mandate: view, actor: { type: 'aidant', id: aidantId } }));
    const verify = (value: string) => tx((m) => t.app.get(AttestationsService).verify(m, value));

    beforeAll(async () => {
      mandate = await openMandate(t, { aidantId, structureId, usagerId: await seedUsager(t), demarches: ['logement', 'argent'], duration: 'long' });
      jws = (await printable('mandate', mandate)).jws;
    });

    it('is an ES256 JWS that verifies with the published JWKS', async () => {
      const jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/procuration/jwks.json`));
      const { payload, protectedHeader } = await compactVerify(jws, jwks, { algorithms: ['ES256'] });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: ATTESTATION_TYP });
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
        kind: 'mandate',
        mandate: mandate.id,
        structure: { name: 'Médiathèque de Vesoul', siret: '21700550300016' },
        aidant: { given_name: 'Camille', family_name: 'Martin' },
        usager: { given_name: 'Angela Claire Louise', family_name: 'Dubois', birthdate: '1962-08-24' },
        demarches: ['logement', 'argent'],
        expires_at: mandate.expiresAt.toISOString(),
      });
      expect((await verify(jws)).status).toBe('live');
    });

    it('refuses an altered payload, a forged signature and an unknown key', async () => {
      const [h, p, s] = jws.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
      const altered = Buffer.from(JSON.stringify({ ...payload, demarches: ['argent', 'justice'] })).toString('base64url');
      await expect(verify(`${h}.${altered}.${s}`)).rejects.toMatchObject({ code: 'attestation.invalid', userMessage: expect.stringMatching(/modifiée ou falsifiée/) });
      const { privateKey } = await generateKeyPair('ES256');
      const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
      const forged = await new CompactSign(Buffer.from(p!, 'base64url')).setProtectedHeader(header).sign(privateKey);
      await expect(verify(forged)).rejects.toMatchObject({ userMessage: expect.stringMatching(/modifiée ou falsifiée/) });
      const unknown = await new CompactSign(Buffer.from(p!, 'base64url')).setProtectedHeader({ ...header, kid: 'attestation-elsewhere' }).sign(privateKey);
      await expect(verify(unknown)).rejects.toMatchObject({ userMessage: expect.stringMatching(/clé inconnue/) });
      await expect(verify('pas.une.attestation!')).rejects.toMatchObject({ status: 400 });
    });

    it('shows the status at verification time: revoked after revocation, with a revocation attestation', async () => {
      const { mandate: after } = await revoke(mandate.id, byAidant());
      expect((await verify(jws)).status).toBe('revoked');
      const revocation = await printable('revocation', after);
      expect(revocation.claims).toMatchObject({ kind: 'revocation', revoked_demarches: ['logement', 'argent'] });
      expect(revocation.qrSvg).toMatch(/^<svg/);
      expect(revocation.verificationUrl).toBe(`${t.config.publicUrl}/attestations/verification?id=${revocation.id}`);
      expect((await verify(revocation.jws)).status).toBe('revoked');
      // Checking a signature writes nothing: the public page journals (once a day per attestation).
      expect((await journalOf(t, 'attestation.verified')).filter((e) => e.mandate_id === mandate.id)).toEqual([]);
    });
  });

  it('a failure inside the opening transaction leaves nothing written', async () => {
    const db = t.app.get(DataSource);
    const count = async () => Number((await db.query(`SELECT count(*)::int AS n FROM mandates`))[0].n);
    const before = await count();
    const usagerId = await seedUsager(t);
    await expect(
      tx(async (m) => {
        await openMandate(t, { aidantId, structureId, usagerId, demarches: ['etranger'] }, m);
        throw new Error('database failure after the insert');
      }),
    ).rejects.toThrow('database failure');
    expect(await count()).toBe(before);
    expect(Number((await db.query(`SELECT count(*)::int AS n FROM mandate_consents c WHERE NOT EXISTS (SELECT 1 FROM mandates m WHERE m.consent_id = c.id)`))[0].n)).toBe(0);
  });
});
