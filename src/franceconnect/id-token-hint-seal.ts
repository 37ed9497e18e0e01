import { hkdfSync } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { decryptSecret, encryptSecret } from '../keys/key-encryption.js';
import { APP_CONFIG } from '../shared/app-config.module.js';

/** Separates this key from every other use of the session secret. */
const KEY_INFO = 'procuration/franceconnect/id-token-hint/v1';

/**
 * The FranceConnect ID token kept for `id_token_hint` at sign-out is a
 * bearer credential of the usager's identity: the session table holds it
 * sealed (AES-256-GCM), never in clear. The key is derived from
 * SESSION_SECRET (HKDF-SHA-256), so a copy of the session table alone
 * opens nothing, and no new secret has to be configured. Each seal is bound
 * to its owner (the usager id) as additional data: copied into another
 * session, it does not open.
 */
@Injectable()
export class IdTokenHintSeal {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = Buffer.from(hkdfSync('sha256', config.sessionSecret, Buffer.alloc(0), KEY_INFO, 32));
  }

  seal(idToken: string, owner: string): string {
    return encryptSecret(idToken, this.key, owner);
  }

  /** The ID token, or null when the seal does not open (another owner, another secret, altered). */
  open(sealed: string, owner: string): string | null {
    try {
      return decryptSecret(sealed, this.key, owner);
    } catch {
      return null;
    }
  }
}
