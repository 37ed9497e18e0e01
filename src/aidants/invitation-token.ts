import { createHash } from 'node:crypto';

/** Invitation links (account activation, membership offers) last 72 hours. */
export const INVITATION_LIFETIME_MS = 72 * 3600 * 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
