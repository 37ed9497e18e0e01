import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { expiryOf } from '../../src/mandates/mandate-status.js';
import { MandatesService } from '../../src/mandates/mandates.service.js';
import { parisWallTime } from '../../src/web/french/index.js';
import { journalOf, seedAidant, seedStructure } from '../support/aidants.js';
import { backdateMandate, openMandate, seedUsager } from '../support/mandates.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('mandates: service contract and database rules', () => {
  let t: TestApp;
  let structureId: string;
  let otherStructureId: string;
  let aidantId: string;
  let service: MandatesService;
  const tx = <T>(fn: (m: EntityManager) => Promise<T>) => t.app.get(TransactionRunner).run(fn);

  beforeAll(async () => {
    t = await startTestApp();
    structureId = (await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016')).id;
    otherStructureId = (await seedStructure(t, 'France Services de Gray', '21700294000013')).id;
    aidantId = await seedAidant(t, {
      email: 'contract@example.fr',
      memberships: [
        { structureId, roles: ['aidant'] },
        { structureId: otherStructureId, roles: ['aidant'] },
      ],
    });
    service = t.app.get(MandatesService);
  });
  afterAll(() => t.close());

  it('opens a mandate: live autorisations per démarche, expiry from the database clock', async () => {
    const usagerId = await seedUsager(t);
    const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['logement', 'argent'], duration: 'semestre' });
    expect(mandate.status).toBe('live');
    // The database's end is the rule's: 182 calendar days in Paris, the same time of day (across a clock change from December).
    expect(mandate.expiresAt.toISOString()).toBe(expiryOf(mandate.createdAt, 'semestre').toISOString());
    expect(parisWallTime(mandate.expiresAt).hour).toBe(parisWallTime(mandate.createdAt).hour);
    const live = await tx((m) => service.findLiveAutorisations(m, { structureId }));
    expect(live.filter((a) => a.usagerId === usagerId).map((a) => a.demarche).sort()).toEqual(['argent', 'logement']);
    expect(await tx((m) => service.findLiveAutorisations(m, { structureId, demarches: ['logement'], usagerId }))).toHaveLength(1);
    expect(await tx((m) => service.findLiveAutorisations(m, { structureId: otherStructureId, usagerId }))).toEqual([]);
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: mandate.id, demarche: 'logement' }))).toBe(true);
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: mandate.id, demarche: 'famille' }))).toBe(false);
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: 'not-a-uuid', demarche: 'logement' }))).toBe(false);
    const mine = await tx((m) => service.listForUsager(m, usagerId));
    expect(mine.map((v) => [v.id, v.structureName, v.liveDemarches])).toEqual([[mandate.id, 'Médiathèque de Vesoul', ['logement', 'argent']]]);
    const entries = await journalOf(t, 'mandate.created', 'autorisation.created');
    expect(entries.filter((e) => e.chain === structureId).map((e) => e.action)).toEqual([
      'mandate.created',
      'autorisation.created',
      'autorisation.created',
    ]);
  });

  it('supersedes the live autorisation of the same structure, usager and démarche (only that one)', async () => {
    const usagerId = await seedUsager(t);
    const first = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['famille', 'travail'] });
    const elsewhere = await openMandate(t, { aidantId, structureId: otherStructureId, usagerId, demarches: ['famille'] });
    const second = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['famille'] });
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: first.id, demarche: 'famille' }))).toBe(false);
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: first.id, demarche: 'travail' }))).toBe(true);
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: second.id, demarche: 'famille' }))).toBe(true);
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: elsewhere.id, demarche: 'famille' }))).toBe(true);
    const superseded = (await journalOf(t, 'autorisation.superseded')).filter((e) => e.mandate_id === first.id);
    expect(superseded).toHaveLength(1);
    expect(superseded[0]).toMatchObject({ demarche: 'famille', details: { previousMandateId: first.id, lapsed: false } });
    // Replacing the last live autorisation leaves the first mandate with nothing: revoked.
    await openMandate(t, { aidantId, structureId, usagerId, demarches: ['travail'] });
    expect((await tx((m) => service.getForStructure(m, structureId, first.id))).status).toBe('revoked');
  });

  it('derives expiry from database time; an expired autorisation is closed as lapsed, not revoked', async () => {
    const usagerId = await seedUsager(t);
    const old = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['loisirs'], duration: 'court' });
    await backdateMandate(t, old.id, 2);
    expect(await tx((m) => service.isAutorisationLive(m, { mandateId: old.id, demarche: 'loisirs' }))).toBe(false);
    expect((await tx((m) => service.getForStructure(m, structureId, old.id))).status).toBe('expired');
    await openMandate(t, { aidantId, structureId, usagerId, demarches: ['loisirs'] });
    const view = await tx((m) =>
      service.getForStructure(m, structureId, old.id),
    );
    expect(view.status).toBe('expired');
    expect(view.autorisations[0]).toMatchObject({ status: 'expired', closingReason: 'lapsed' });
  });

  it('counts running and soon-ending mandates as the lists do, the live count capped', async () => {
    const soon = await openMandate(t, { aidantId, structureId, usagerId: await seedUsager(t), demarches: ['justice'], duration: 'mois' });
    await backdateMandate(t, soon.id, 10);
    const lists = await tx(async (m) => ({
      live: (await service.liveOfStructure(m, structureId)).length,
      expiringSoon: (await service.expiringSoon(m, structureId, 30)).length,
    }));
    expect(lists.expiringSoon).toBeGreaterThan(0);
    expect(await tx((m) => service.countRunning(m, structureId, { cap: 500, days: 30 }))).toEqual(lists);
    expect((await tx((m) => service.countRunning(m, structureId, { cap: 1, days: 30 }))).live).toBe(1);
    expect(await tx((m) => service.countRunning(m, 'not-a-uuid', { cap: 500, days: 30 }))).toEqual({ live: 0, expiringSoon: 0 });
  });

  it('hides a mandate of another structure behind the same not-found error', async () => {
    const usagerId = await seedUsager(t);
    const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['papiers'] });
    await expect(tx((m) => service.getForStructure(m, otherStructureId, mandate.id))).rejects.toMatchObject({ status: 404 });
    await expect(tx((m) => service.getForStructure(m, structureId, randomUUID()))).rejects.toMatchObject({ status: 404 });
  });

  describe('the database refuses', () => {
    const db = () => t.app.get(DataSource);
    async function insertMandate(sql: { duration?: string; expires?: string; usager?: string }) {
      const usagerId = sql.usager ?? (await seedUsager(t));
      const consentId = randomUUID();
      await db().query(
        `INSERT INTO mandate_consents (id, kind, submission_id, fc_acr, id_token_hash, declared_by, declared_at, totp_confirmed_at)
         VALUES ($1, 'franceconnect', gen_random_uuid(), 'eidas1', $2, $3, now(), now())`,
        [consentId, 'B'.repeat(43), aidantId],
      );
      return db().query(
        `INSERT INTO mandates (structure_id, usager_id, opened_by, consent_id, duration, created_at, expires_at)
         VALUES ($1, $5, $2, $3, $4, now(), ${sql.expires ?? "now() + interval '31 days'"}) RETURNING id`,
        [structureId, aidantId, consentId, sql.duration ?? 'mois', usagerId],
      );
    }

    it.each([
      ['an end that does not match the duration', { expires: "now() + interval '40 days'" }, /check/],
      ['an unknown duration', { duration: 'toujours' }, /check/],
      ['a mandate without any autorisation', {}, /has no autorisation/],
      ['a mandate of an unknown usager', { usager: randomUUID() }, /mandates_usager_fk/],
    ])('%s', async (_name, sql, message) => {
      await expect(insertMandate(sql)).rejects.toThrow(message);
    });

    it('an unknown démarche, and a second open autorisation for the same démarche', async () => {
      const usagerId = await seedUsager(t);
      const mandate = await openMandate(t, { aidantId, structureId, usagerId, demarches: ['justice'] });
      const insert = (demarche: string) =>
        db().query(`INSERT INTO autorisations (mandate_id, structure_id, usager_id, demarche) VALUES ($1, $2, $3, $4)`, [
          mandate.id,
          structureId,
          usagerId,
          demarche,
        ]);
      await expect(insert('impots')).rejects.toThrow(/check/);
      await expect(insert('justice')).rejects.toThrow(/duplicate key/);
    });
  });
});
