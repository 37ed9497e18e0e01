import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The name libpq and `pg` give the socket of a server in a directory (default port 5432). */
const SOCKET_NAME = '.s.PGSQL.5432';

/**
 * The connection URL of an embedded server listening in `socketDir`: `pg`
 * takes a `host` that starts with `/` as the directory of a Unix socket.
 */
export function socketUrl(socketDir: string): string {
  return `postgres:///postgres?host=${encodeURIComponent(socketDir)}&user=postgres`;
}

/** Whether an embedded server's socket is present in `socketDir`. */
export function socketPresent(socketDir: string): boolean {
  try {
    return statSync(join(socketDir, SOCKET_NAME)).isSocket();
  } catch {
    return false;
  }
}

/** Makes an existing directory owner-only when this user owns it (a mounted volume may not be ours to change). */
function privateDirectory(path: string): void {
  try {
    chmodSync(path, 0o700);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) served over PostgreSQL's
 * protocol, so that the ordinary `pg` driver, TypeORM and the migrations are
 * exactly the ones used against a PostgreSQL server: one code path for both.
 *
 * PGlite has no authentication (every client is superuser), so it listens on
 * a Unix socket in a fresh directory only its owner may enter (0700), never on
 * a TCP port: only processes of the same system user (or root) can connect.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    /** Owner-only directory holding the server's socket. */
    readonly socketDir: string,
    readonly url: string,
  ) {}

  /**
   * Opens (or creates) the database in `dataDir` (`memory://` for a throwaway
   * one; a directory is made owner-only) and listens on its private socket.
   */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    if (!dataDir.startsWith('memory://')) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      privateDirectory(dataDir);
    }
    // mkdtemp creates the directory with mode 0700; set again in case of an unusual umask or platform.
    const socketDir = mkdtempSync(join(tmpdir(), 'procuration-db-'));
    chmodSync(socketDir, 0o700);
    let db: PGlite | undefined;
    try {
      db = await PGlite.create(dataDir);
      const server = new PGLiteSocketServer({ db, path: join(socketDir, SOCKET_NAME), maxConnections });
      await server.start();
      return new EmbeddedPostgres(db, server, socketDir, socketUrl(socketDir));
    } catch (error) {
      if (db && !db.closed) await db.close();
      rmSync(socketDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops listening (connected clients see the database go away), closes the files, removes the socket. */
  async stop(): Promise<void> {
    await this.server.stop();
    if (!this.db.closed) await this.db.close();
    rmSync(this.socketDir, { recursive: true, force: true });
  }

  /** Stops accepting and serving connections but keeps the data (tests of outages). */
  async stopServing(): Promise<void> {
    await this.server.stop();
  }
}
