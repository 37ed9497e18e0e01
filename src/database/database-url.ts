import { mkdirSync } from 'node:fs';
import type { AppConfig } from '../../config/config.js';
import { DataDirectoryInUseError, DataDirLock, lockHolder } from './data-dir-lock.js';
import { EmbeddedPostgres, socketPresent, socketUrl } from './embedded-postgres.js';

/** Where the service's database is, and how to let go of it afterwards. */
export interface DatabaseHandle {
  url: string;
  /** The embedded server this process started and owns, if any. */
  embedded: EmbeddedPostgres | undefined;
  /** Whether the database is PGlite (ours or another process's): one connection per process then. */
  pglite: boolean;
  close(): Promise<void>;
}

/**
 * Who opens the database: the service owns its data directory; a command
 * (operator CLI, migrations, journal tools) may also go through the embedded
 * server of the process that owns it.
 */
export type DatabaseUser = 'service' | 'command';

/**
 * The configured PostgreSQL server, or the embedded PGlite in `DATA_DIR`,
 * opened by this process alone (a lock in the directory). When another live
 * process holds the directory, a command connects through that process's
 * server (its owner-only socket); the service, or a command when that server
 * does not listen yet, is refused with DataDirectoryInUseError.
 */
export async function openDatabase(config: AppConfig, user: DatabaseUser = 'service'): Promise<DatabaseHandle> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: undefined, pglite: false, close: async () => {} };
  }
  if (config.dataDir.startsWith('memory://')) {
    const embedded = await EmbeddedPostgres.start(config.dataDir, config.databasePoolSize);
    return { url: embedded.url, embedded, pglite: true, close: () => embedded.stop() };
  }
  const holder = lockHolder(config.dataDir);
  if (holder && user === 'command' && holder.socketDir && socketPresent(holder.socketDir)) {
    return { url: socketUrl(holder.socketDir), embedded: undefined, pglite: true, close: async () => {} };
  }
  if (holder) throw new DataDirectoryInUseError(config.dataDir, holder);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = DataDirLock.acquire(config.dataDir);
  let embedded: EmbeddedPostgres;
  try {
    // Room for the commands that come through this server beside the service's own connection.
    embedded = await EmbeddedPostgres.start(config.dataDir, config.databasePoolSize + 4);
    lock.publish(embedded.socketDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  return {
    url: embedded.url,
    embedded,
    pglite: true,
    close: async () => {
      try {
        await embedded.stop();
      } finally {
        lock.release();
      }
    },
  };
}

/**
 * Refuses at once, before anything else is loaded, when another live process
 * holds the embedded data directory (openDatabase checks again, atomically).
 */
export function assertDataDirectoryFree(config: AppConfig): void {
  if (config.databaseUrl || config.dataDir.startsWith('memory://')) return;
  const holder = lockHolder(config.dataDir);
  if (holder) throw new DataDirectoryInUseError(config.dataDir, holder);
}

/**
 * PGlite serves one statement at a time, and its socket server interleaves the
 * protocol messages (parse, bind, execute) of concurrent connections that are
 * not in a transaction: on PGlite each process gets exactly one connection.
 */
export function poolSizeFor(config: AppConfig, database: DatabaseHandle): number {
  return database.pglite ? 1 : config.databasePoolSize;
}
