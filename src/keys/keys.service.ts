import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { decryptSecret, encryptSecret } from './key-encryption.js';

/** What a key signs. Keys of one purpose never sign for another. */
export type KeyPurpose = 'journal' | 'attestation' | 'provider';

/** Purposes whose public keys are published at /.well-known/procuration/jwks.json. */
export const SERVICE_JWKS_PURPOSES: readonly KeyPurpose[] = ['journal', 'attestation'];

const ALG = 'ES256';

export interface SigningKey {
  kid: string;
  alg: typeof ALG;
  privateKey: CryptoKey;
}

export interface PublishedKey extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

interface KeyRow {
  kid: string;
  purpose: KeyPurpose;
  alg: string;
  public_jwk: JWK;
  private_jwk: string;
}

/**
 * The service's own signing keys, by purpose: generated on first use, kept in
 * `service_keys` (private part encrypted with KEYS_ENCRYPTION_KEY) so that
 * restarts and every instance share them, rotated by the operator (the old
 * key is retired, never deleted, so its signatures stay verifiable).
 */
@Injectable()
export class KeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger(KeysService.name);
  private readonly encryptionKey: Buffer;
  /** Decrypted private keys by kid (a kid's key never changes). */
  private readonly cache = new Map<string, CryptoKey>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.encryptionKey = Buffer.from(config.keysEncryptionKey, 'base64');
  }

  /** Keys exist from the first start, so the published JWKS is never empty. */
  async onApplicationBootstrap(): Promise<void> {
    await this.signingKey('journal');
  }

  /** The active key of `purpose`, created if there is none. Pass the transaction's manager when inside one. */
  async signingKey(purpose: KeyPurpose, manager?: EntityManager): Promise<SigningKey> {
    const row = (await this.activeRow(purpose, manager)) ?? (await this.inTransaction(manager, (m) => this.createIfMissing(m, purpose)));
    return { kid: row.kid, alg: ALG, privateKey: await this.privateKeyOf(row) };
  }

  /** Makes a new active key for `purpose` and retires the previous one. */
  async rotate(purpose: KeyPurpose, manager?: EntityManager): Promise<{ kid: string; retiredKid: string | null }> {
    return this.inTransaction(manager, async (m) => {
      await this.lockPurpose(m, purpose);
      const previous = await this.activeRow(purpose, m);
      if (previous) await m.query(`UPDATE service_keys SET retired_at = now() WHERE kid = $1`, [previous.kid]);
      const created = await this.insertKey(m, purpose);
      this.logger.log(`rotated the ${purpose} key: ${previous?.kid ?? 'none'} -> ${created.kid}`);
      return { kid: created.kid, retiredKid: previous?.kid ?? null };
    });
  }

  /** Public keys (active and retired) of the given purposes, as a JWK Set. */
  async publicJwks(purposes: readonly KeyPurpose[], manager?: EntityManager): Promise<{ keys: PublishedKey[] }> {
    const rows: KeyRow[] = await this.inTransaction(manager, (m) =>
      m.query(`SELECT kid, purpose, alg, public_jwk FROM service_keys WHERE purpose = ANY($1) ORDER BY created_at, kid`, [
        purposes,
      ]),
    );
    return { keys: rows.map((r) => ({ ...r.public_jwk, kid: r.kid, alg: r.alg, use: 'sig' as const })) };
  }

  private async activeRow(purpose: KeyPurpose, manager?: EntityManager): Promise<KeyRow | undefined> {
    const rows: KeyRow[] = await this.inTransaction(manager, (m) =>
      m.query(
        `SELECT kid, purpose, alg, public_jwk, private_jwk FROM service_keys
          WHERE purpose = $1 AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1`,
        [purpose],
      ),
    );
    return rows[0];
  }

  private async createIfMissing(manager: EntityManager, purpose: KeyPurpose): Promise<KeyRow> {
    // Several instances may start at once: one creates, the others then find it.
    await this.lockPurpose(manager, purpose);
    const existing = await this.activeRow(purpose, manager);
    if (existing) return existing;
    const created = await this.insertKey(manager, purpose);
    this.logger.log(`generated the first ${purpose} key ${created.kid}`);
    return created;
  }

  private async insertKey(manager: EntityManager, purpose: KeyPurpose): Promise<KeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = `${purpose}-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const privateJwk = encryptSecret(JSON.stringify(await exportJWK(privateKey)), this.encryptionKey, aadOf(kid, purpose));
    await manager.query(
      `INSERT INTO service_keys (kid, purpose, alg, public_jwk, private_jwk) VALUES ($1, $2, $3, $4, $5)`,
      [kid, purpose, ALG, JSON.stringify(publicJwk), privateJwk],
    );
    this.cache.set(kid, privateKey);
    return { kid, purpose, alg: ALG, public_jwk: publicJwk, private_jwk: privateJwk };
  }

  private async privateKeyOf(row: KeyRow): Promise<CryptoKey> {
    const cached = this.cache.get(row.kid);
    if (cached) return cached;
    const jwk = JSON.parse(decryptSecret(row.private_jwk, this.encryptionKey, aadOf(row.kid, row.purpose))) as JWK;
    const key = (await importJWK(jwk, row.alg)) as CryptoKey;
    this.cache.set(row.kid, key);
    return key;
  }

  private async lockPurpose(manager: EntityManager, purpose: KeyPurpose): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('service_keys:' || $1))`, [purpose]);
  }

  /**
   * Even reads run in a transaction when the caller has none: the embedded
   * database serves one connection's statement at a time only inside a
   * transaction (see docs/journal.md, "Embedded database").
   */
  private inTransaction<T>(manager: EntityManager | undefined, work: (m: EntityManager) => Promise<T>): Promise<T> {
    return manager ? work(manager) : this.dataSource.transaction('READ COMMITTED', work);
  }
}

function aadOf(kid: string, purpose: string): string {
  return `service_keys:${purpose}:${kid}`;
}
