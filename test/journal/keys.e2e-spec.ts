import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactVerify, CompactSign, importJWK } from 'jose';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { KeysService } from '../../src/keys/keys.service.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('service keys', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const config = loadConfig({ NODE_ENV: 'test' });

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(database.url, 3)).initialize();
    await dataSource.runMigrations();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  async function signsVerifiably(keys: KeysService, purpose: 'journal' | 'attestation'): Promise<string> {
    const key = await keys.signingKey(purpose);
    const jws = await new CompactSign(new TextEncoder().encode('payload')).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
    const published = (await keys.publicJwks([purpose])).keys.find((k) => k.kid === key.kid)!;
    await compactVerify(jws, await importJWK(published, 'ES256'));
    return key.kid;
  }

  it('creates a key on first use, stores its private part encrypted, and keeps it across restarts', async () => {
    const first = new KeysService(dataSource, config);
    const [kidA, kidB] = await Promise.all([signsVerifiably(first, 'journal'), signsVerifiably(new KeysService(dataSource, config), 'journal')]);
    expect(kidA).toBe(kidB);
    const rows = await dataSource.query(`SELECT kid, private_jwk, public_jwk FROM service_keys WHERE purpose = 'journal'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].private_jwk).toMatch(/^v1\./);
    expect(rows[0].private_jwk).not.toContain('"d"');
    expect(rows[0].public_jwk).not.toHaveProperty('d');
    // A new instance (a restart) decrypts and uses the same key.
    expect(await signsVerifiably(new KeysService(dataSource, config), 'journal')).toBe(kidA);
  });

  it('keeps purposes apart', async () => {
    const keys = new KeysService(dataSource, config);
    const attestation = await signsVerifiably(keys, 'attestation');
    const journal = (await keys.signingKey('journal')).kid;
    expect(attestation).not.toBe(journal);
    expect((await keys.publicJwks(['journal'])).keys.map((k) => k.kid)).not.toContain(attestation);
  });

  it('rotates: a new active key, the old one retired but still published', async () => {
    const keys = new KeysService(dataSource, config);
    const before = (await keys.signingKey('journal')).kid;
    const rotated = await keys.rotate('journal');
    expect(rotated.retiredKid).toBe(before);
    expect((await keys.signingKey('journal')).kid).toBe(rotated.kid);
    expect((await keys.publicJwks(['journal'])).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([before, rotated.kid]));
  });

  it('refuses to start signing with the wrong KEYS_ENCRYPTION_KEY, saying so', async () => {
    const other = loadConfig({ NODE_ENV: 'test', KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    await expect(new KeysService(dataSource, other).signingKey('journal')).rejects.toThrow(
      /KEYS_ENCRYPTION_KEY is not the key it was encrypted with/,
    );
  });
});
