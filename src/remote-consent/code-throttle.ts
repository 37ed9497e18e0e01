import { isIPv6 } from 'node:net';
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

/**
 * The throttle's key for a client address. An IPv6 client commonly holds a
 * whole /64 (a home or a mobile line gets one, and picks new addresses in it
 * at will): counting each address apart would give it 2^64 × 10 guesses per
 * window. IPv6 addresses are therefore counted by their /64 prefix, and an
 * IPv4 address written as IPv6 (`::ffff:a.b.c.d`) as the IPv4 address.
 */
export function codeThrottleKey(ip: string | null | undefined): string {
  if (!ip) return 'ip:unknown';
  const address = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return `ip:${mapped[1]}`;
  if (!isIPv6(address)) return `ip:${address}`;
  return `ip6:${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const [head = '', tail] = address.split('::');
  const before = head ? head.split(':') : [];
  const after = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - width(before) - width(after)).fill('0');
  return [...before, ...zeros, ...after].map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)));
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
