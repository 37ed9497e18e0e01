import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { preparedStatement, runPrepared } from '../src/database/prepared-statement.js';
import { TransactionRunner } from '../src/database/transaction-runner.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const INSERT = preparedStatement(
  'test_prepared_insert',
  `INSERT INTO service_keys (kid, purpose, alg, public_jwk, private_jwk) VALUES ($1, 'journal', 'ES256', '{}', 'x')`,
);
const COUNT = preparedStatement('test_prepared_count', `SELECT count(*)::int AS n FROM service_keys WHERE kid = ANY($1::text[])`);
const RETIRE = preparedStatement('test_prepared_retire', `UPDATE service_keys SET retired_at = now() WHERE kid = ANY($1::text[])`);

describe('prepared statements on hot paths', () => {
  let t: TestApp;
  let runner: TransactionRunner;
  let dataSource: DataSource;
  let embedded: boolean;
  beforeAll(async () => {
    t = await startTestApp();
    runner = t.app.get(TransactionRunner);
    dataSource = t.app.get(DataSource);
    embedded = ((await dataSource.query(`SELECT version() AS v`)) as { v: string }[])[0]!.v.includes('PGlite');
  });
  afterAll(() => t.close());

  it('returns rows and affected counts, outside a transaction', async () => {
    await runPrepared(dataSource.manager, INSERT, ['p-one']);
    await runPrepared(dataSource.manager, INSERT, ['p-two']);
    const { rows } = await runPrepared<{ n: number }>(dataSource.manager, COUNT, [['p-one', 'p-two', 'p-none']]);
    expect(rows).toEqual([{ n: 2 }]);
    expect((await runPrepared(dataSource.manager, RETIRE, [['p-one', 'p-two']])).rowCount).toBe(2);
  });

  it('runs inside the caller’s transaction: rolled back with it, seen by it before commit', async () => {
    let seenInside = -1;
    await expect(
      runner.run(async (manager) => {
        await runPrepared(manager, INSERT, ['p-rolled-back']);
        seenInside = Number((await manager.query(`SELECT count(*)::int AS n FROM service_keys WHERE kid = 'p-rolled-back'`))[0].n);
        throw new Error('the use case fails');
      }),
    ).rejects.toThrow('the use case fails');
    expect(seenInside).toBe(1);
    expect((await runPrepared<{ n: number }>(dataSource.manager, COUNT, [['p-rolled-back']])).rows).toEqual([{ n: 0 }]);
  });

  it('is parsed once per connection on a PostgreSQL server, and sent unnamed to the embedded database', async () => {
    const names = await runner.run(async (manager) => {
      await runPrepared(manager, COUNT, [['p-one']]);
      await runPrepared(manager, COUNT, [['p-two']]);
      const rows: { name: string }[] = await manager.query(`SELECT name FROM pg_prepared_statements WHERE name = $1`, [COUNT.name]);
      return rows.map((row) => row.name);
    });
    expect(names).toEqual(embedded ? [] : [COUNT.name]);
  });

  it('refuses one name for two texts (the server would run the first text)', () => {
    expect(() => preparedStatement('test_prepared_count', `SELECT 1`)).toThrow('defined twice with different texts');
    expect(preparedStatement('test_prepared_count', COUNT.text)).toEqual(COUNT);
    expect(() => preparedStatement('Not-Snake', `SELECT 1`)).toThrow('snake_case');
  });
});
