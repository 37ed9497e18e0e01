import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import type { DemarcheId } from '../../src/demarches/demarches.js';
import { MandateRevocationService } from '../../src/mandates/mandate-revocation.service.js';
import { MandatesService } from '../../src/mandates/mandates.service.js';
import type { MandateView } from '../../src/mandates/mandates.types.js';
import { readAccountSnapshot } from '../../src/provider/provider-accounts.query.js';
import { providerUses } from '../../src/provider/provider-uses.repository.js';
import { seedAidant, seedStructure } from '../support/aidants.js';
import { backdateMandate, openMandate, seedUsager } from '../support/mandates.js';
import { registerPartner } from '../support/provider.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * One definition of "live" (src/mandates/live-autorisation.ts), many users:
 * autorisations in every state an autorisation can reach, and every query
 * that asks whether one is live must find the same ones. (There is no
 * "not yet started" state: a mandate starts at its creation, database time.)
 */
describe('live autorisations: every query agrees with the one definition', () => {
  let t: TestApp;
  let structureId: string;
  let aidantId: string;
  let partnerId: string;
  let service: MandatesService;
  const tx = <T>(fn: (m: EntityManager) => Promise<T>) => t.app.get(TransactionRunner).run(fn);
  /** One after the other: a transaction's connection runs one statement at a time. */
  const inTurn = async <A, R>(items: A[], fn: (item: A) => Promise<R>): Promise<R[]> => {
    const results: R[] = [];
    for (const item of items) results.push(await fn(item));
    return results;
  };
  /** Mandates by the state the test puts them in. */
  const m: Record<string, MandateView> = {};
  /** Every autorisation of the structure, as the mandates' views show it. */
  let all: Array<{ id: string; mandateId: string; usagerId: string; demarche: string; status: string; closingReason: string | null }>;

  const open = async (usagerId: string, demarches: DemarcheId[]) => openMandate(t, { aidantId, structureId, usagerId, demarches });
  const revoke = (mandateId: string, autorisationId?: string) =>
    tx((manager) =>
      t.app.get(MandateRevocationService).revoke(manager, {
        mandateId,
        ...(autorisationId ? { autorisationId } : {}),
        by: { type: 'aidant', aidantId, structureId },
        reason: 'fin_accompagnement',
      }),
    );
  const autorisation = (mandate: string, demarche: string) => all.find((a) => a.mandateId === m[mandate]!.id && a.demarche === demarche)!;

  beforeAll(async () => {
    t = await startTestApp();
    service = t.app.get(MandatesService);
    structureId = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    aidantId = await seedAidant(t, { email: 'vivant@example.fr', memberships: [{ structureId, roles: ['aidant'] }] });
    partnerId = (await registerPartner(t, { redirectUris: ['https://partenaire.example/callback'] })).partner.id;
    const [u1, u2, u3, u4, u5, u6] = await inTurn([1, 2, 3, 4, 5, 6], () => seedUsager(t));

    m.live = await open(u1!, ['logement']);
    // Past its end, never closed.
    m.expired = await open(u2!, ['logement']);
    await backdateMandate(t, m.expired.id, 40);
    // One démarche revoked on its own, the other still live.
    m.partlyRevoked = await open(u3!, ['famille', 'travail']);
    await revoke(m.partlyRevoked.id, m.partlyRevoked.autorisations.find((a) => a.demarche === 'famille')!.id);
    m.revoked = await open(u4!, ['social']);
    await revoke(m.revoked.id);
    // `papiers` superseded by a newer mandate, `argent` still live.
    m.superseded = await open(u5!, ['papiers', 'argent']);
    m.superseding = await open(u5!, ['papiers']);
    // Expired, then replaced: its autorisation is closed as lapsed.
    m.lapsed = await open(u6!, ['justice']);
    await backdateMandate(t, m.lapsed.id, 40);
    m.replacing = await open(u6!, ['justice']);

    const views = await tx((manager) => inTurn(Object.values(m), (v) => service.getForStructure(manager, structureId, v.id)));
    all = views.flatMap((v) =>
      v.autorisations.map((a) => ({ id: a.id, mandateId: v.id, usagerId: v.usagerId, demarche: a.demarche, status: a.status, closingReason: a.closingReason })),
    );
  });
  afterAll(() => t?.close());

  /** The autorisations that are live, by construction. */
  const expectedLive = () =>
    [autorisation('live', 'logement'), autorisation('partlyRevoked', 'travail'), autorisation('superseded', 'argent'), autorisation('superseding', 'papiers'), autorisation('replacing', 'justice')]
      .map((a) => a.id)
      .sort();

  it('builds every state (the fixture is what it claims)', () => {
    expect(all).toHaveLength(10);
    expect(autorisation('expired', 'logement')).toMatchObject({ status: 'expired', closingReason: null });
    expect(autorisation('partlyRevoked', 'famille')).toMatchObject({ status: 'revoked', closingReason: 'revoked' });
    expect(autorisation('revoked', 'social')).toMatchObject({ status: 'revoked', closingReason: 'mandate_revoked' });
    expect(autorisation('superseded', 'papiers')).toMatchObject({ status: 'revoked', closingReason: 'superseded' });
    expect(autorisation('lapsed', 'justice')).toMatchObject({ status: 'expired', closingReason: 'lapsed' });
  });

  it('the views (statusOf, over rows read) find the expected live ones', () => {
    expect(all.filter((a) => a.status === 'live').map((a) => a.id).sort()).toEqual(expectedLive());
  });

  it('the mandates repository: the structure’s live autorisations, and the check of one', async () => {
    const live = await tx((manager) => service.findLiveAutorisations(manager, { structureId }));
    expect(live.map((a) => a.autorisationId).sort()).toEqual(expectedLive());
    const checked = await tx((manager) =>
      inTurn(all, async (a) => ((await service.isAutorisationLive(manager, { mandateId: a.mandateId, demarche: a.demarche })) ? a.id : null)),
    );
    expect(checked.filter((id) => id !== null).sort()).toEqual(expectedLive());
  });

  it('the provider’s account snapshot (a partner sign-in on each autorisation)', async () => {
    const live = await tx(async (manager) => {
      const found: string[] = [];
      for (const a of all) {
        const use = await providerUses.insert(manager, {
          partnerId,
          aidantId,
          structureId,
          usagerId: a.usagerId,
          mandateId: a.mandateId,
          demarche: a.demarche,
          repScope: [],
        });
        if ((await readAccountSnapshot(manager, use.id))!.live) found.push(a.id);
      }
      return found;
    });
    expect(live.sort()).toEqual(expectedLive());
  });

  it('the provider’s snapshot is live only when every démarche of rep_scope is', async () => {
    const [partly, whole] = await tx(async (manager) => {
      const base = { partnerId, aidantId, structureId, usagerId: m.partlyRevoked!.usagerId, mandateId: m.partlyRevoked!.id, demarche: 'travail' };
      const withRevoked = await providerUses.insert(manager, { ...base, repScope: ['travail', 'famille'] });
      const withLive = await providerUses.insert(manager, { ...base, repScope: ['travail'] });
      return [await readAccountSnapshot(manager, withRevoked.id), await readAccountSnapshot(manager, withLive.id)];
    });
    expect(partly!.live).toBe(false);
    expect(whole!.live).toBe(true);
  });

  it('mandate-level questions: running, ended, counted, ending soon', async () => {
    const liveMandates = Object.values(m)
      .filter((v) => all.some((a) => a.mandateId === v.id && a.status === 'live'))
      .map((v) => v.id)
      .sort();
    expect(liveMandates).toEqual([m.live, m.partlyRevoked, m.superseded, m.superseding, m.replacing].map((v) => v!.id).sort());
    const ended = [m.expired, m.revoked, m.lapsed].map((v) => v!.id).sort();
    const [running, endedOnes, counted, endingSoon] = await tx(async (manager) => [
      await service.liveOfStructure(manager, structureId),
      await service.endedOfStructure(manager, structureId),
      await service.countRunning(manager, structureId, { cap: 100, days: 400 }),
      await service.expiringSoon(manager, structureId, 400),
    ] as const);
    expect(running.map((v) => v.id).sort()).toEqual(liveMandates);
    expect(running.every((v) => v.status === 'live')).toBe(true);
    expect(endedOnes.map((v) => v.id).sort()).toEqual(ended);
    expect(endedOnes.every((v) => v.status !== 'live')).toBe(true);
    expect(counted).toEqual({ live: liveMandates.length, expiringSoon: liveMandates.length });
    expect(endingSoon.map((v) => v.id).sort()).toEqual(liveMandates);
  });
});
