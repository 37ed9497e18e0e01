import type { AppConfig } from '../../config/config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/** Where the service's database is, and how to let go of it afterwards. */
export interface DatabaseHandle {
  url: string;
  embedded: EmbeddedPostgres | undefined;
  close(): Promise<void>;
}

/** The configured PostgreSQL server, or an embedded PGlite in `DATA_DIR`. */
export async function openDatabase(config: AppConfig): Promise<DatabaseHandle> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: undefined, close: async () => {} };
  }
  const embedded = await EmbeddedPostgres.start(config.dataDir, config.databasePoolSize);
  return { url: embedded.url, embedded, close: () => embedded.stop() };
}
