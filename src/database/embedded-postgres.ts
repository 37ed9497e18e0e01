import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PGlite (PostgreSQL compiled to WebAssembly) served on a loopback port, so
 * that the ordinary `pg` driver, TypeORM and the migrations are exactly the
 * ones used against a PostgreSQL server: one code path for both.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  /**
   * Opens (or creates) the database in `dataDir` (`memory://` for a throwaway
   * one) and listens on a free loopback port.
   */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
    await server.start();
    // getServerConn() answers "host:port" once the server listens on its free port.
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    return new EmbeddedPostgres(db, server, url);
  }

  /** Stops listening (connected clients see the database go away) and closes the files. */
  async stop(): Promise<void> {
    await this.server.stop();
    if (!this.db.closed) await this.db.close();
  }

  /** Stops accepting and serving connections but keeps the data (tests of outages). */
  async stopServing(): Promise<void> {
    await this.server.stop();
  }
}
