import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Private keys at rest: AES-256-GCM under KEYS_ENCRYPTION_KEY, bound to the
 * key's id and purpose (additional authenticated data), so a ciphertext
 * cannot be moved to another row. Format: `v1.<iv>.<tag>.<ciphertext>`, each
 * part base64url.
 */
const VERSION = 'v1';

export class KeyDecryptionError extends Error {}

export function encryptSecret(plaintext: string, key: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

export function decryptSecret(stored: string, key: Buffer, aad: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
    throw new KeyDecryptionError('stored private key is not in the v1 encrypted format');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new KeyDecryptionError(
      'a stored private key cannot be decrypted: KEYS_ENCRYPTION_KEY is not the key it was encrypted with',
      { cause: error },
    );
  }
}
