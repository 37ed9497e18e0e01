import { createHash } from 'node:crypto';

/** Lowercase hex of SHA-256 over the UTF-8 bytes of `value` (stored digests of tokens and states). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * How the journal names an email address without holding it: the digest of
 * the address in lower case, so that the notices and remote consent entries
 * about one address carry the same value.
 */
export function addressHash(email: string): string {
  return sha256Hex(email.toLowerCase());
}
