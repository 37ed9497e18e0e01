import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import type { VerifiedIdentity } from '../../src/franceconnect/franceconnect.types.js';
import { hashFcSub } from '../../src/franceconnect/fc-sub.js';
import { UsagersService } from '../../src/usagers/usagers.service.js';
import { journalOf, seedStructure } from '../support/aidants.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const SUB = `${'5e'.repeat(32)}v1`;

function identity(change: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
  return {
    sub: SUB,
    givenName: 'Jeanne',
    familyName: 'LEFÈVRE',
    birthdate: '1937-05-02',
    gender: 'female',
    birthplace: '59350',
    birthcountry: '99100',
    acr: 'eidas1',
    idTokenHash: 'h'.repeat(43),
    idToken: 'not-a-real-token',
    ...change,
  };
}

/** UsagersService on the real database: upsert keyed by the sub's hash, changes journaled field by field. */
describe('UsagersService', () => {
  let t: TestApp;
  let usagers: UsagersService;
  let run: TransactionRunner['run'];

  beforeAll(async () => {
    t = await startTestApp();
    usagers = t.app.get(UsagersService);
    const runner = t.app.get(TransactionRunner);
    run = runner.run.bind(runner);
  });

  afterAll(async () => {
    await t.close();
  });

  const self = { actor: { type: 'usager' as const, id: null }, structureId: null };

  it('creates the usager once, keyed by the HMAC of the sub, and journals the creation', async () => {
    const created = await run((m) => usagers.upsertFromIdentity(m, identity(), self));
    expect(created).toMatchObject({ givenName: 'Jeanne', preferredUsername: null, email: null, birthdate: '1937-05-02' });
    const again = await run((m) => usagers.upsertFromIdentity(m, identity(), self));
    expect(again.id).toBe(created.id);
    const rows: { fc_sub_hash: string }[] = await t.app.get(DataSource).query(`SELECT fc_sub_hash FROM usagers WHERE id = $1`, [created.id]);
    expect(rows[0]!.fc_sub_hash).toBe(hashFcSub(t.config.franceConnect.subKey, SUB));
    const entries = await journalOf(t, 'usager.created', 'usager.identity_updated');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'usager.created', chain: 'national', actor_type: 'usager', actor_id: created.id });
  });

  it('updates only the fields FranceConnect reports differently, and journals only those', async () => {
    const structure = await seedStructure(t, 'Médiathèque de Vesoul', '21700550300016');
    const ctx = { actor: { type: 'aidant' as const, id: '00000000-0000-4000-8000-000000000001' }, structureId: structure.id };
    const updated = await run((m) =>
      usagers.upsertFromIdentity(m, identity({ email: 'jeanne.lefevre@example.fr', preferredUsername: 'MOREAU' }), ctx),
    );
    expect(updated).toMatchObject({ email: 'jeanne.lefevre@example.fr', preferredUsername: 'MOREAU', familyName: 'LEFÈVRE' });
    expect(await run((m) => usagers.findById(m, updated.id))).toEqual(updated);

    const [entry, ...more] = await journalOf(t, 'usager.identity_updated');
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({ chain: structure.id, actor_type: 'aidant', actor_id: ctx.actor.id });
    expect(entry!.details).toEqual({
      changes: {
        preferredUsername: { from: null, to: 'MOREAU' },
        email: { from: null, to: 'jeanne.lefevre@example.fr' },
      },
    });

    // The same identity again changes nothing and journals nothing.
    await run((m) => usagers.upsertFromIdentity(m, identity({ email: 'jeanne.lefevre@example.fr', preferredUsername: 'MOREAU' }), ctx));
    expect(await journalOf(t, 'usager.identity_updated')).toHaveLength(1);
  });

  it('rolls the change back with the transaction that fails afterwards', async () => {
    await expect(
      run(async (m) => {
        await usagers.upsertFromIdentity(m, identity({ birthplace: '59000' }), self);
        throw new Error('a later step fails');
      }),
    ).rejects.toThrow('a later step fails');
    const rows: { birthplace: string }[] = await t.app.get(DataSource).query(`SELECT birthplace FROM usagers`);
    expect(rows.map((r) => r.birthplace)).toEqual(['59350']);
    expect(await journalOf(t, 'usager.identity_updated')).toHaveLength(1);
  });

  it('finds by ids, ignoring unknown and malformed ones', async () => {
    const rows: { id: string }[] = await t.app.get(DataSource).query(`SELECT id FROM usagers`);
    const found = await run((m) => usagers.findByIds(m, [rows[0]!.id, rows[0]!.id, 'not-a-uuid', '00000000-0000-4000-8000-000000000000']));
    expect(found.map((u) => u.id)).toEqual([rows[0]!.id]);
    expect(await run((m) => usagers.findById(m, 'not-a-uuid'))).toBeNull();
  });
});
