import { createServer } from 'node:net';
import pg from 'pg';

/**
 * What the benchmark scripts (`src/<module>/bench/`) share: they create and
 * drop their throwaway databases through the server's admin connection and
 * start servers on free loopback ports. Not used by the service itself.
 */

/** Runs one statement (CREATE/DROP DATABASE…) on its own connection to `server`. */
export async function adminQuery(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A loopback port free right now (bound, then released). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
