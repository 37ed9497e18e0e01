import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { decryptSecret, encryptSecret, KeyDecryptionError } from './key-encryption.js';

describe('private keys at rest', () => {
  const key = randomBytes(32);
  const secret = '{"kty":"EC","d":"secret-part"}';

  it('round-trips, with a fresh IV each time and nothing of the plaintext visible', () => {
    const a = encryptSecret(secret, key, 'service_keys:journal:k1');
    const b = encryptSecret(secret, key, 'service_keys:journal:k1');
    expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret-part');
    expect(decryptSecret(a, key, 'service_keys:journal:k1')).toBe(secret);
  });

  it.each([
    ['another encryption key', (s: string) => decryptSecret(s, randomBytes(32), 'service_keys:journal:k1')],
    ['another key id (ciphertext moved to another row)', (s: string) => decryptSecret(s, key, 'service_keys:journal:k2')],
    ['an altered ciphertext', (s: string) => decryptSecret(`${s.slice(0, -2)}AA`, key, 'service_keys:journal:k1')],
    ['a value in no known format', () => decryptSecret('{"kty":"EC"}', key, 'service_keys:journal:k1')],
  ])('refuses %s', (_what, attempt) => {
    const stored = encryptSecret(secret, key, 'service_keys:journal:k1');
    expect(() => attempt(stored)).toThrow(KeyDecryptionError);
  });
});
