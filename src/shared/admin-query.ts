import pg from 'pg';

/**
 * How the test harness and the benchmarks (`bench/`) create and drop their
 * throwaway databases: through the server's admin connection (free ports:
 * ./loopback.ts). Not used by the service itself.
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
