import type { EntityManager } from 'typeorm';

/** Wrong codes from one client address within the window before it is locked out. */
export const MAX_WRONG_CODES = 10;
export const CODE_WINDOW_MS = 10 * 60 * 1000;
export const CODE_LOCK_MS = 15 * 60 * 1000;

/** One code attempt, counted before the code is looked up. */
export interface CodeReservation {
  key: string;
  admitted: boolean;
  lockedUntil: Date | null;
  /** This attempt started the lock: journal it once. */
  lockStarted: boolean;
  windowStart: Date;
}

export function codeThrottleKey(ip: string | null | undefined): string {
  return `ip:${ip ?? 'unknown'}`;
}

/*
 * The same count-then-check shape as the aidants' sign-in throttle
 * (docs/decisions/0204): one atomic upsert counts the attempt before the code
 * is looked up, so parallel guesses each see their own rank and at most
 * MAX_WRONG_CODES of them per window reach the lookup; a right code takes
 * its count back. Its own table, because its limits differ and its keys are
 * anonymous client addresses, not accounts.
 */
const RESERVE = `
  INSERT INTO consent_code_throttles AS t (key, failures, first_failure_at, locked_until)
  VALUES ($1, 1, $2, NULL)
  ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN ${stale()} THEN 1 ELSE t.failures + 1 END,
    first_failure_at = CASE WHEN ${stale()} THEN $2 ELSE t.first_failure_at END,
    locked_until = CASE WHEN ${stale()} THEN NULL ELSE t.locked_until END
  RETURNING failures, first_failure_at, locked_until`;

/** A lock that ended, or unlocked failures older than the window ($2 now, $3 window start). */
function stale(): string {
  return `((t.locked_until IS NOT NULL AND t.locked_until <= $2) OR (t.locked_until IS NULL AND t.first_failure_at < $3))`;
}

export async function reserveCodeAttempt(manager: EntityManager, key: string, now: Date): Promise<CodeReservation> {
  const windowStart = new Date(now.getTime() - CODE_WINDOW_MS);
  const [row] = (await manager.query(RESERVE, [key, now, windowStart])) as { failures: number; first_failure_at: Date; locked_until: Date | null }[];
  const base = { key, windowStart: new Date(row!.first_failure_at), lockStarted: false };
  if (row!.locked_until !== null) return { ...base, admitted: false, lockedUntil: new Date(row!.locked_until) };
  if (row!.failures <= MAX_WRONG_CODES) return { ...base, admitted: true, lockedUntil: null };
  const lock = new Date(now.getTime() + CODE_LOCK_MS);
  await manager.query(`UPDATE consent_code_throttles SET locked_until = $2 WHERE key = $1`, [key, lock]);
  return { ...base, admitted: false, lockedUntil: lock, lockStarted: true };
}

/** A right code: its count is taken back (the address's other failures stay). */
export async function settleRightCode(manager: EntityManager, reservation: CodeReservation): Promise<void> {
  await manager.query(
    `UPDATE consent_code_throttles SET failures = failures - 1 WHERE key = $1 AND first_failure_at = $2 AND failures > 0`,
    [reservation.key, reservation.windowStart],
  );
}
