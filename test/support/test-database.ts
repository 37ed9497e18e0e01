import { randomBytes } from 'node:crypto';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { adminQuery as admin } from '../../src/shared/admin-query.js';

/**
 * A fresh, empty database for one suite: an in-memory PGlite by default, or,
 * when DATABASE_URL is set, a new database created on that PostgreSQL server
 * for this suite alone and dropped afterwards.
 */
export interface TestDatabase {
  url: string;
  kind: 'pglite' | 'postgresql';
  /** Makes the database unreachable (new and existing connections fail). */
  makeUnavailable(): Promise<void>;
  drop(): Promise<void>;
}

/** Refuses to touch a database whose name does not say it is for tests. */
export function assertTestDatabaseName(url: string): void {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/test/i.test(name)) {
    throw new Error(`Refusing to run tests on database "${name}": its name must contain "test".`);
  }
}

/**
 * `maxConnections` bounds an embedded server's connections (several app
 * instances on one PGlite need more than one app's pool).
 */
export async function createTestDatabase(
  serverUrl = process.env.DATABASE_URL,
  options: { maxConnections?: number } = {},
): Promise<TestDatabase> {
  return serverUrl ? createOnServer(serverUrl) : createEmbedded(options.maxConnections ?? 10);
}

async function createEmbedded(maxConnections: number): Promise<TestDatabase> {
  const embedded = await EmbeddedPostgres.start('memory://', maxConnections);
  let stopped = false;
  return {
    url: embedded.url,
    kind: 'pglite',
    makeUnavailable: async () => {
      stopped = true;
      await embedded.stop();
    },
    drop: async () => {
      if (!stopped) await embedded.stop();
    },
  };
}

async function createOnServer(serverUrl: string): Promise<TestDatabase> {
  assertTestDatabaseName(serverUrl);
  const name = `procuration_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  assertTestDatabaseName(url.toString());
  const terminate = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`;
  return {
    url: url.toString(),
    kind: 'postgresql',
    makeUnavailable: async () => {
      await admin(serverUrl, `ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin(serverUrl, terminate);
    },
    drop: async () => {
      await admin(serverUrl, terminate);
      await admin(serverUrl, `DROP DATABASE IF EXISTS ${name}`);
    },
  };
}
