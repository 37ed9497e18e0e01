import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, type AidantSession, type SessionEndReason } from './session-data.js';

/**
 * The aidant sessions of an account, read and ended in the caller's
 * transaction (rows of `http_sessions` owned through `aidant_id`). A session
 * is named outside the store by a handle, the SHA-256 of its id: the id
 * itself is a bearer secret and never leaves the cookie.
 */

export interface LiveSession {
  handle: string;
  current: boolean;
  device: string;
  ip: string | null;
  signedInAt: Date;
  lastSeenAt: Date;
}

export function sessionHandle(sid: string): string {
  return createHash('sha256').update(sid, 'utf8').digest('hex');
}

interface Row {
  sid: string;
  aidant: AidantSession | null;
}

async function openRows(manager: EntityManager, aidantId: string): Promise<Row[]> {
  return manager.query(
    `SELECT sid, data -> 'aidant' AS aidant FROM http_sessions
      WHERE aidant_id = $1 AND ended_at IS NULL
      ORDER BY sid
      FOR UPDATE`,
    [aidantId],
  );
}

/** Sessions of the account still usable now (within the idle and absolute timeouts), most recent use first. */
export async function liveSessionsOf(manager: EntityManager, aidantId: string, nowMs: number, currentSid: string): Promise<LiveSession[]> {
  const rows = await manager.query<Row[]>(
    `SELECT sid, data -> 'aidant' AS aidant FROM http_sessions
      WHERE aidant_id = $1 AND ended_at IS NULL AND expires_at > $2`,
    [aidantId, new Date(nowMs)],
  );
  return rows
    .filter((row): row is Row & { aidant: AidantSession } => row.aidant !== null && row.aidant.aidantId === aidantId)
    .filter(({ aidant }) => nowMs - aidant.signedInAt <= ABSOLUTE_TIMEOUT_MS && nowMs - aidant.lastSeenAt <= IDLE_TIMEOUT_MS)
    .map(({ sid, aidant }) => ({
      handle: sessionHandle(sid),
      current: sid === currentSid,
      device: aidant.device ?? 'Appareil inconnu',
      ip: aidant.ip ?? null,
      signedInAt: new Date(aidant.signedInAt),
      lastSeenAt: new Date(aidant.lastSeenAt),
    }))
    .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.getTime() - a.lastSeenAt.getTime());
}

export type SessionSelection =
  /** Every session of the account (reset, suspension). */
  | { kind: 'all' }
  /** Every session but the one making the request (password change, "end all others"). */
  | { kind: 'others'; currentSid: string }
  /** One session named by its handle, never the current one. */
  | { kind: 'one'; handle: string; currentSid: string };

/**
 * Ends the selected sessions of the account now; returns how many were
 * open. An ended row stays until it expires, so that a request of that
 * session still in flight cannot save it back (see the store's `set`).
 */
export async function endSessionsOf(
  manager: EntityManager,
  aidantId: string,
  selection: SessionSelection,
  reason: SessionEndReason,
  now: Date,
): Promise<number> {
  const sids = (await openRows(manager, aidantId))
    .map((row) => row.sid)
    .filter((sid) => {
      if (selection.kind === 'all') return true;
      if (sid === selection.currentSid) return false;
      return selection.kind === 'others' || sessionHandle(sid) === selection.handle;
    });
  if (sids.length === 0) return 0;
  await manager.query(`UPDATE http_sessions SET ended_at = $2, ended_reason = $3 WHERE sid = ANY($1)`, [sids, now, reason]);
  return sids.length;
}
