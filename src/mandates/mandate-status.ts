import { fromParisWallTime, parisWallTime } from '../web/french/index.js';

/** Mandate durations, in calendar days in Europe/Paris from the instant of creation. */
export const DURATIONS = {
  court: { days: 1, label: '1 jour' },
  mois: { days: 31, label: '1 mois' },
  semestre: { days: 182, label: '6 mois' },
  long: { days: 365, label: '1 an' },
} as const;

export type Duration = keyof typeof DURATIONS;

export function isDuration(value: unknown): value is Duration {
  return typeof value === 'string' && Object.hasOwn(DURATIONS, value);
}

/**
 * The end of a mandate opened at `createdAt`: the same time of day in Paris,
 * `days` calendar days later (16:10 on 2 December + 182 days is 16:10 on
 * 2 June, summer time or not). A time that Paris's clocks skip or repeat on
 * the end day follows `fromParisWallTime` (docs/decisions/0504). The database
 * computes the same end when it inserts a mandate (`insertMandate`).
 */
export function expiryOf(createdAt: Date, duration: Duration): Date {
  const start = parisWallTime(createdAt);
  const day = new Date(Date.UTC(start.year, start.month - 1, start.day + DURATIONS[duration].days));
  return fromParisWallTime({ ...start, year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate() });
}

export type MandateStatus = 'live' | 'expired' | 'revoked';

export const STATUS_LABELS: Record<MandateStatus, string> = { live: 'actif', expired: 'expiré', revoked: 'révoqué' };

/**
 * Status of a mandate or an autorisation at `now` (the database's time).
 * Closing after expiry (an expired autorisation replaced by a new one) keeps
 * it "expired": only a closing before the end counts as a revocation.
 */
export function statusOf(row: { expiresAt: Date; revokedAt: Date | null }, now: Date): MandateStatus {
  if (row.revokedAt && row.revokedAt.getTime() < row.expiresAt.getTime()) return 'revoked';
  if (row.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (row.revokedAt) return 'revoked';
  return 'live';
}
