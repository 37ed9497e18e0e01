import { createHmac } from 'node:crypto';

/**
 * The only form in which a usager's FranceConnect `sub` is stored: an
 * HMAC-SHA-256 under `FC_SUB_KEY`, hex. The `sub` is pairwise (already
 * specific to Procuration); keying the hash means a database leak alone
 * cannot be matched against FranceConnect subjects.
 */
export function hashFcSub(key: string, sub: string): string {
  if (key.length < 32) throw new Error('FC_SUB_KEY must be at least 32 characters long');
  if (sub.length === 0) throw new Error('an empty FranceConnect sub cannot be hashed');
  return createHmac('sha256', key).update(sub, 'utf8').digest('hex');
}
