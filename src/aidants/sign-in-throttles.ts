import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { SignInThrottle } from './sign-in-throttle.entity.js';

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

/** The latest end of a lock among these keys, if any is locked now. */
export async function lockedUntil(manager: EntityManager, keys: string[], now: Date): Promise<Date | null> {
  const rows = await manager.findBy(
    SignInThrottle,
    keys.map((key) => ({ key })),
  );
  const ends = rows.map((r) => r.lockedUntil).filter((end): end is Date => end !== null && end > now);
  return ends.length > 0 ? new Date(Math.max(...ends.map((d) => d.getTime()))) : null;
}

/** Counts one failure; returns the lock end when this failure starts a lock. */
export async function recordFailure(manager: EntityManager, key: string, now: Date): Promise<Date | null> {
  const row = await manager.findOne(SignInThrottle, { where: { key }, lock: { mode: 'pessimistic_write' } });
  const stale =
    !row ||
    (row.lockedUntil !== null && row.lockedUntil <= now) ||
    (row.lockedUntil === null && now.getTime() - row.firstFailureAt.getTime() > FAILURE_WINDOW_MS);
  const failures = stale ? 1 : row.failures + 1;
  const lock = failures >= MAX_FAILURES ? new Date(now.getTime() + LOCK_MS) : null;
  await manager.save(
    manager.create(SignInThrottle, {
      key,
      failures,
      firstFailureAt: stale ? now : row.firstFailureAt,
      lockedUntil: lock,
    }),
  );
  return lock;
}

export async function clearFailures(manager: EntityManager, key: string): Promise<void> {
  await manager.delete(SignInThrottle, { key });
}
