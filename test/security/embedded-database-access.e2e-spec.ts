import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { loadConfig } from '../../config/config.js';
import { openDatabase, type DatabaseHandle } from '../../src/database/database-url.js';

/**
 * Finding 7: PGlite has no authentication (every client is superuser), so the
 * embedded server must be reachable by the service's own system user only.
 */
describe('embedded database: reachable by the service only', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'procuration-access-')), 'data');
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir });
  let database: DatabaseHandle;

  beforeAll(async () => {
    database = await openDatabase(config);
  });
  afterAll(async () => {
    await database?.close();
  });

  const mode = (path: string) => statSync(path).mode & 0o777;
  const socketDirOf = (url: string) => new URL(url).searchParams.get('host') ?? '';

  it('listens on no network address: a Unix socket named by its directory', () => {
    const url = new URL(database.url);
    expect(url.hostname).toBe('');
    expect(url.port).toBe('');
    expect(socketDirOf(database.url)).toMatch(/^\//);
  });

  it('keeps its socket in a directory only its owner may enter (0700)', () => {
    const socketDir = socketDirOf(database.url);
    expect(mode(socketDir)).toBe(0o700);
    expect(statSync(socketDir).uid).toBe(process.getuid!());
    expect(statSync(join(socketDir, '.s.PGSQL.5432')).isSocket()).toBe(true);
  });

  it('keeps its data directory and its lock owner-only', () => {
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'procuration.lock'))).toBe(0o600);
  });

  it('answers the service through that socket', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string }>('SELECT version()');
      expect(rows[0].version).toContain('PGlite');
    } finally {
      await client.end();
    }
  });

  it('lets a command of the same user in the same way, through the owner’s socket', async () => {
    const command = await openDatabase(config, 'command');
    try {
      expect(command.url).toBe(database.url);
      expect(command.embedded).toBeUndefined();
      const client = new pg.Client({ connectionString: command.url });
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end();
    } finally {
      await command.close();
    }
  });

  it('removes its socket directory when it closes', async () => {
    const other = await openDatabase(loadConfig({ NODE_ENV: 'test', DATA_DIR: 'memory://' }));
    const socketDir = socketDirOf(other.url);
    expect(statSync(socketDir).isDirectory()).toBe(true);
    await other.close();
    expect(() => statSync(socketDir)).toThrow();
  });
});
