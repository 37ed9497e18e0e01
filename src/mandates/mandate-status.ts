/** Mandate durations, from the instant of creation. */
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

const DAY_MS = 24 * 3600 * 1000;

export function expiryOf(createdAt: Date, duration: Duration): Date {
  return new Date(createdAt.getTime() + DURATIONS[duration].days * DAY_MS);
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
