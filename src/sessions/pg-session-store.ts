import session from 'express-session';
import type { DataSource } from 'typeorm';
import type { Clock } from '../clock/clock.js';
import { isConnectionLost } from '../database/connection-loss.js';
import { preparedStatement, runPrepared } from '../database/prepared-statement.js';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, type SessionEndReason } from './session-data.js';

/** Every request with a session cookie reads its row: prepared once per connection. */
const SQL = {
  get: preparedStatement(
    'http_session_get_ended',
    `SELECT data, ended_reason FROM http_sessions WHERE sid = $1 AND expires_at > $2`,
  ),
  // An ended session stays ended: a request of it still in flight saves nothing back.
  set: preparedStatement(
    'http_session_set_owned',
    `INSERT INTO http_sessions (sid, data, expires_at, aidant_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, aidant_id = EXCLUDED.aidant_id
      WHERE http_sessions.ended_at IS NULL`,
  ),
  destroy: preparedStatement('http_session_destroy', `DELETE FROM http_sessions WHERE sid = $1`),
};

type Callback = (err?: unknown, value?: session.SessionData | null) => void;

/**
 * express-session store on the service's own PostgreSQL (table `http_sessions`),
 * so that every instance sees the same sessions. A row lives at most the
 * absolute timeout; the idle timeout is enforced by the aidant guard. A row
 * names the aidant it belongs to (`aidant_id`), so that their sessions can
 * be listed and ended (`session-registry.ts`).
 */
export class PgSessionStore extends session.Store {
  private writes = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    super();
  }

  /**
   * A read whose connection was lost is asked once more on a fresh
   * connection (`runPrepared`); a read that still fails is reported as an
   * error, never as "no session" (which would sign the person out). An ended
   * session comes back emptied, holding only why it was ended: it gives
   * access to nothing, and the aidant guard tells the person why before
   * forgetting it.
   */
  override get(sid: string, callback: Callback): void {
    runPrepared<{ data: session.SessionData; ended_reason: SessionEndReason | null }>(this.dataSource.manager, SQL.get, [
      sid,
      this.clock.now(),
    ]).then(({ rows }) => {
      const row = rows[0];
      if (!row) return callback(null, null);
      callback(null, row.ended_reason ? ({ cookie: row.data.cookie, endedReason: row.ended_reason } as session.SessionData) : row.data);
    }, (error: unknown) => callback(readFailure(error)));
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    // A little past the absolute end, so the guard can still say why the session ended.
    const expiresAt = new Date(this.clock.nowMs() + ABSOLUTE_TIMEOUT_MS + IDLE_TIMEOUT_MS);
    const owner = data.aidant?.aidantId ?? null;
    const values = [sid, JSON.stringify(data), expiresAt, owner];
    // Writing the same data twice changes nothing: a save whose connection was lost is sent once more.
    runPrepared(this.dataSource.manager, SQL.set, values)
      .catch((error: unknown) => {
        if (isConnectionLost(error)) return runPrepared(this.dataSource.manager, SQL.set, values);
        throw error;
      })
      .then(() => this.sweep())
      .then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    runPrepared(this.dataSource.manager, SQL.destroy, [sid]).then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override touch(_sid: string, _data: session.SessionData, callback?: () => void): void {
    callback?.();
  }

  /** Now and then, removes rows past their absolute end. */
  private async sweep(): Promise<void> {
    this.writes = (this.writes + 1) % 200;
    if (this.writes === 0) {
      await this.dataSource.query(`DELETE FROM http_sessions WHERE expires_at <= $1`, [this.clock.now()]);
    }
  }
}

/**
 * express-session takes a read error whose `code` is `ENOENT` for "no such
 * session" (a convention of file stores) and carries on without one, which
 * signs the person out. The embedded database is reached through a Unix
 * socket, whose "server gone" error is exactly ENOENT: every read error is
 * therefore handed on wrapped, with the driver's error as its cause.
 */
function readFailure(error: unknown): Error {
  return new Error('session store read failed', { cause: error });
}
