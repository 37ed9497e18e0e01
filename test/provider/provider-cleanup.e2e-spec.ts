import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PostgresAdapter } from '../../src/provider/provider.adapter.js';
import { ProviderCleanup } from '../../src/provider/provider.cleanup.js';
import { startProviderTestApp } from '../support/provider.js';
import type { TestApp } from '../support/test-app.js';

/** The oidc-provider models our configuration stores (clients come from the partner table, not the adapter). */
const MODELS = ['Session', 'Interaction', 'Grant', 'AuthorizationCode', 'AccessToken', 'ReplayDetection'];

/**
 * Expiry is database time (`now()` in SQL, so every instance agrees), not
 * the application clock: rows are moved into the past in SQL, as the
 * mandates tests do for expiry.
 */
describe('provider storage: the expiry cleanup job', () => {
  let t: TestApp;
  let db: DataSource;
  let cleanup: ProviderCleanup;

  beforeAll(async () => {
    t = await startProviderTestApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
    db = t.app.get(DataSource);
    cleanup = t.app.get(ProviderCleanup);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  async function store(model: string, id: string, payload: Record<string, unknown>, expiresIn = 600): Promise<PostgresAdapter> {
    const adapter = new PostgresAdapter(model, db);
    await adapter.upsert(id, { ...payload, kind: model }, expiresIn);
    return adapter;
  }

  /** Moves a row's expiry into the past by `seconds`. */
  function expiredSince(model: string, id: string, seconds: number) {
    return db.query(`UPDATE oidc_payloads SET expires_at = now() - make_interval(secs => $3) WHERE model = $1 AND id = $2`, [model, id, seconds]);
  }

  async function idsLeft(): Promise<string[]> {
    const rows: { id: string }[] = await db.query(`SELECT id FROM oidc_payloads WHERE id LIKE 'cleanup-%' ORDER BY id`);
    return rows.map((r) => r.id);
  }

  it('removes the expired rows of every model and keeps the live ones (consumed or not) and those just expired', async () => {
    for (const model of MODELS) {
      const adapter = await store(model, `cleanup-${model}-expired`, { grantId: `grant-${model}` });
      await store(model, `cleanup-${model}-expired-consumed`, {});
      await store(model, `cleanup-${model}-just-expired`, {});
      await store(model, `cleanup-${model}-live`, { uid: `uid-${model}` });
      await store(model, `cleanup-${model}-live-consumed`, {});
      await adapter.consume(`cleanup-${model}-expired-consumed`);
      await adapter.consume(`cleanup-${model}-live-consumed`);
      await expiredSince(model, `cleanup-${model}-expired`, 120);
      await expiredSince(model, `cleanup-${model}-expired-consumed`, 3600);
      // Within the job's one-minute grace: invisible already, removed by a later run.
      await expiredSince(model, `cleanup-${model}-just-expired`, 10);
      // Expired rows are invisible at once, cleanup or not.
      expect(await adapter.find(`cleanup-${model}-expired`)).toBeUndefined();
      expect(await adapter.find(`cleanup-${model}-just-expired`)).toBeUndefined();
    }

    expect(await cleanup.runOnce()).toBe(MODELS.length * 2);

    const left = await idsLeft();
    for (const model of MODELS) {
      expect(left).not.toContain(`cleanup-${model}-expired`);
      expect(left).not.toContain(`cleanup-${model}-expired-consumed`);
      expect(left).toEqual(expect.arrayContaining([`cleanup-${model}-just-expired`, `cleanup-${model}-live`, `cleanup-${model}-live-consumed`]));
      const adapter = new PostgresAdapter(model, db);
      expect(await adapter.find(`cleanup-${model}-live`)).toMatchObject({ kind: model, uid: `uid-${model}` });
      expect(await adapter.findByUid(`uid-${model}`)).toMatchObject({ kind: model });
      expect(await adapter.find(`cleanup-${model}-live-consumed`)).toMatchObject({ kind: model, consumed: expect.any(Number) });
    }
    expect(await cleanup.runOnce()).toBe(0);
  });

  it('logs a failed run without personal data, keeps serving, and succeeds on the next run', async () => {
    const email = 'jeanne.lefebvre@example.org';
    await store('Session', 'cleanup-failing', { accountId: 'some-account', email });
    await expiredSince('Session', 'cleanup-failing', 600);
    // A database error whose message quotes the row it could not delete.
    await db.query(`CREATE FUNCTION cleanup_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'refused to delete %', OLD.payload::text; END $$`);
    await db.query(`CREATE TRIGGER cleanup_test_refuse BEFORE DELETE ON oidc_payloads FOR EACH ROW EXECUTE FUNCTION cleanup_test_refuse()`);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      await expect(cleanup.runOnce()).resolves.toBeNull();
    } finally {
      await db.query(`DROP TRIGGER cleanup_test_refuse ON oidc_payloads`);
      await db.query(`DROP FUNCTION cleanup_test_refuse()`);
    }

    const logged = warn.mock.calls.map((args) => JSON.stringify(args));
    const line = logged.find((l) => l.includes('oidc_payloads_cleanup'));
    expect(line).toBeDefined();
    expect(line).toContain('P0001'); // the SQLSTATE tells an operator what kind of failure it was
    for (const l of logged) {
      expect(l).not.toContain(email);
      expect(l).not.toContain('some-account');
      expect(l).not.toContain('refused to delete');
    }
    expect(await idsLeft()).toContain('cleanup-failing');

    // The service goes on: the provider and the health probe answer, and the next run does its work.
    await request(t.url).get('/.well-known/openid-configuration').expect(200);
    await request(t.url).get('/health').expect(200);
    expect(await cleanup.runOnce()).toBe(1);
    expect(await idsLeft()).not.toContain('cleanup-failing');
  });
});
