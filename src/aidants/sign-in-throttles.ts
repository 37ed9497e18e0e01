import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60 * 1000;
/** Failures older than this (and not locked) are forgotten. */
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;

export type ThrottleScope = 'account' | 'ip';

/** Keys never hold the email itself: a SHA-256 of it (same key whether or not the account exists). */
export function throttleKeys(email: string, ip: string | null | undefined): Record<ThrottleScope, string> {
  const digest = createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex');
  return { account: `email:${digest}`, ip: `ip:${ip ?? 'unknown'}` };
}

/** One attempt counted against one key, before its credentials are checked. */
export interface Reservation {
  key: string;
  /** Whether the attempt may go on to the credential check. */
  admitted: boolean;
  /** The lock in force (or started by this attempt), when refused. */
  lockedUntil: Date | null;
  /** True when this very attempt started the lock (journal it once). */
  lockStarted: boolean;
  /** Identifies the counting window the attempt was counted in. */
  windowStart: Date;
}

/*
 * Why counting happens before the check: an attempt is counted *in flight*
 * by one atomic upsert (the row lock orders parallel attempts), so the n-th
 * simultaneous attempt sees n and at most MAX_FAILURES attempts per window
 * ever reach the password check. The count is settled afterwards: a failure
 * stays counted, a success is taken back. A reading of the lock followed by a
 * later write let parallel attempts all read "not locked".
 */
const RESERVE = `
  INSERT INTO sign_in_throttles AS t (key, failures, first_failure_at, locked_until)
  VALUES ($1, 1, $2, NULL)
  ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN ${stale()} THEN 1 ELSE t.failures + 1 END,
    first_failure_at = CASE WHEN ${stale()} THEN $2 ELSE t.first_failure_at END,
    locked_until = CASE WHEN ${stale()} THEN NULL ELSE t.locked_until END
  RETURNING failures, first_failure_at, locked_until`;

/** A row whose lock has ended, or whose unlocked failures are older than the window ($2 now, $3 window start). */
function stale(): string {
  return `((t.locked_until IS NOT NULL AND t.locked_until <= $2) OR (t.locked_until IS NULL AND t.first_failure_at < $3))`;
}

/**
 * Counts one attempt against `key` and says whether it may be checked. Runs
 * in the caller's transaction, which holds the row until it commits: commit
 * before any slow work (the password hash) so parallel attempts are not
 * serialised behind it.
 */
export async function reserveAttempt(manager: EntityManager, key: string, now: Date): Promise<Reservation> {
  const windowStart = new Date(now.getTime() - FAILURE_WINDOW_MS);
  const [row] = (await manager.query(RESERVE, [key, now, windowStart])) as {
    failures: number;
    first_failure_at: Date;
    locked_until: Date | null;
  }[];
  const reservation = { key, windowStart: new Date(row!.first_failure_at), lockStarted: false };
  if (row!.locked_until !== null) return { ...reservation, admitted: false, lockedUntil: new Date(row!.locked_until) };
  if (row!.failures <= MAX_FAILURES) return { ...reservation, admitted: true, lockedUntil: null };
  // More attempts than the limit in one window, the earlier ones still in
  // flight: lock now. This transaction holds the row, so the update is ours.
  const lock = new Date(now.getTime() + LOCK_MS);
  await manager.query(`UPDATE sign_in_throttles SET locked_until = $2 WHERE key = $1`, [key, lock]);
  return { ...reservation, admitted: false, lockedUntil: lock, lockStarted: true };
}

/**
 * The checked attempt failed: it stays counted; when the window holds the
 * limit, the lock starts (the returned end) unless another attempt already
 * started it.
 */
export async function settleFailure(manager: EntityManager, reservation: Reservation, now: Date): Promise<Date | null> {
  const rows = (await manager.query(
    `UPDATE sign_in_throttles SET locked_until = $3
      WHERE key = $1 AND first_failure_at = $2 AND locked_until IS NULL AND failures >= $4
      RETURNING locked_until`,
    [reservation.key, reservation.windowStart, new Date(now.getTime() + LOCK_MS), MAX_FAILURES],
  )) as [{ locked_until: Date }[], number];
  const [updated] = rows[0];
  return updated ? new Date(updated.locked_until) : null;
}

/** The checked attempt succeeded: its count is taken back (the other attempts of the window stay). */
export async function settleSuccess(manager: EntityManager, reservation: Reservation): Promise<void> {
  await manager.query(
    `UPDATE sign_in_throttles SET failures = failures - 1 WHERE key = $1 AND first_failure_at = $2 AND failures > 0`,
    [reservation.key, reservation.windowStart],
  );
}

/**
 * Holds the keys' rows until the caller's transaction ends and returns the
 * latest lock in force: a success checked while parallel failures locked the
 * account must not sign in after the lock. Rows are taken in key order, the
 * order the reservations take them, so the two never wait on each other.
 */
export async function holdLock(manager: EntityManager, keys: string[], now: Date): Promise<Date | null> {
  const rows = (await manager.query(
    `SELECT locked_until FROM sign_in_throttles WHERE key = ANY($1) ORDER BY key FOR UPDATE`,
    [keys],
  )) as { locked_until: Date | null }[];
  const ends = rows.map((r) => r.locked_until && new Date(r.locked_until)).filter((end): end is Date => !!end && end > now);
  return ends.length > 0 ? new Date(Math.max(...ends.map((d) => d.getTime()))) : null;
}

/** Forgets every failure of the key (the account's owner proved both factors). */
export async function clearFailures(manager: EntityManager, key: string): Promise<void> {
  await manager.query(`DELETE FROM sign_in_throttles WHERE key = $1`, [key]);
}
