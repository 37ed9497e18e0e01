import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('TransactionRunner', () => {
  let t: TestApp;
  let runner: TransactionRunner;
  let dataSource: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    runner = t.app.get(TransactionRunner);
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  const insertKey = (kid: string) =>
    `INSERT INTO service_keys (kid, purpose, alg, public_jwk, private_jwk) VALUES ('${kid}', 'journal', 'ES256', '{}', 'x')`;
  const count = async (kid: string) =>
    Number((await dataSource.query(`SELECT count(*)::int AS n FROM service_keys WHERE kid = $1`, [kid]))[0].n);

  it('commits every write of a use case together', async () => {
    await runner.run(async (manager) => {
      await manager.query(insertKey('k-commit-1'));
      await manager.query(insertKey('k-commit-2'));
    });
    expect(await count('k-commit-1')).toBe(1);
    expect(await count('k-commit-2')).toBe(1);
  });

  it('leaves nothing written when the use case fails half-way', async () => {
    await expect(
      runner.run(async (manager) => {
        await manager.query(insertKey('k-rollback'));
        throw new Error('second step failed');
      }),
    ).rejects.toThrow('second step failed');
    expect(await count('k-rollback')).toBe(0);
  });

  it('leaves nothing written when the database refuses a later statement', async () => {
    await expect(
      runner.run(async (manager) => {
        await manager.query(insertKey('k-constraint'));
        await manager.query(insertKey('k-commit-1')); // duplicate primary key
      }),
    ).rejects.toThrow();
    expect(await count('k-constraint')).toBe(0);
  });

  it('runs use cases at READ COMMITTED (pinned per connection, not per transaction)', async () => {
    const [{ level }] = await runner.run((manager) => manager.query(`SELECT current_setting('transaction_isolation') AS level`));
    expect(level).toBe('read committed');
  });
});
