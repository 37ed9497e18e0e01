import { createPrivateKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { decryptSecret, encryptSecret } from './key-encryption.js';

/** What a key signs. Keys of one purpose never sign for another. */
export type KeyPurpose = 'journal' | 'journal-note' | 'attestation' | 'provider';

/** Purposes whose public keys are published at /.well-known/procuration/jwks.json. */
export const SERVICE_JWKS_PURPOSES: readonly KeyPurpose[] = ['journal', 'attestation'];

/** `Ed25519`: the journal's C2SP note key (docs/decisions/0106-journal-c2sp-checkpoints.md). */
export type KeyAlg = 'ES256' | 'RS256' | 'Ed25519';

const ALG: KeyAlg = 'ES256';

/** The algorithms each purpose signs with: the provider face offers partners ES256 and RS256. */
export const KEY_ALGS: Readonly<Record<KeyPurpose, readonly KeyAlg[]>> = {
  journal: ['ES256'],
  'journal-note': ['Ed25519'],
  attestation: ['ES256'],
  provider: ['ES256', 'RS256'],
};

export interface SigningKey {
  kid: string;
  alg: KeyAlg;
  privateKey: CryptoKey;
}

/** A private key as a JWK, for a library that signs by itself (the provider face). */
export interface PrivateSigningJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
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
  async signingKey(purpose: KeyPurpose, manager?: EntityManager, alg: KeyAlg = KEY_ALGS[purpose][0]!): Promise<SigningKey> {
    const row =
      (await this.activeRow(purpose, manager, alg)) ??
      (await this.inTransaction(manager, (m) => this.createIfMissing(m, purpose, alg)));
    return { kid: row.kid, alg, privateKey: await this.privateKeyOf(row) };
  }

  /**
   * Private JWKs of `purpose` for a library that signs by itself: the active
   * key of each of the purpose's algorithms (created if missing) first, then
   * the keys retired less than `retiredWithinSeconds` ago (still published
   * until what they signed has expired; the library signs with the first key
   * of an algorithm).
   */
  async privateJwks(purpose: KeyPurpose, retiredWithinSeconds: number): Promise<PrivateSigningJwk[]> {
    for (const alg of KEY_ALGS[purpose]) await this.signingKey(purpose, undefined, alg);
    const rows: KeyRow[] = await this.dataSource.query(
      `SELECT kid, purpose, alg, public_jwk, private_jwk FROM service_keys
        WHERE purpose = $1 AND (retired_at IS NULL OR retired_at > now() - make_interval(secs => $2))
        ORDER BY retired_at IS NOT NULL, created_at DESC, kid DESC`,
      [purpose, retiredWithinSeconds],
    );
    return rows.map((row) => ({
      ...(JSON.parse(decryptSecret(row.private_jwk, this.encryptionKey, aadOf(row.kid, row.purpose))) as JWK),
      kid: row.kid,
      alg: row.alg,
      use: 'sig' as const,
    }));
  }

  /** Makes a new active key for `purpose` (and `alg`) and retires the previous one. */
  async rotate(purpose: KeyPurpose, manager?: EntityManager, alg: KeyAlg = KEY_ALGS[purpose][0]!): Promise<{ kid: string; retiredKid: string | null }> {
    return this.inTransaction(manager, async (m) => {
      await this.lockPurpose(m, purpose);
      const previous = await this.activeRow(purpose, m, alg);
      if (previous) await m.query(`UPDATE service_keys SET retired_at = now() WHERE kid = $1`, [previous.kid]);
      const created = await this.insertKey(m, purpose, alg);
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

  /**
   * The active Ed25519 key of the journal's C2SP notes (created if there is
   * none): the private key and the raw 32-byte public key.
   */
  async noteSigningKey(manager?: EntityManager): Promise<{ privateKey: KeyObject; publicKey: Buffer }> {
    const row =
      (await this.activeRow('journal-note', manager, 'Ed25519')) ??
      (await this.inTransaction(manager, (m) => this.createIfMissing(m, 'journal-note', 'Ed25519')));
    const jwk = JSON.parse(decryptSecret(row.private_jwk, this.encryptionKey, aadOf(row.kid, row.purpose))) as JsonWebKey;
    return { privateKey: createPrivateKey({ key: jwk, format: 'jwk' }), publicKey: Buffer.from(String(row.public_jwk.x), 'base64url') };
  }

  /** Raw public keys of the journal's notes: the active one first, then retired ones, newest first. */
  async notePublicKeys(manager?: EntityManager): Promise<Buffer[]> {
    const rows: { public_jwk: JWK }[] = await this.inTransaction(manager, (m) =>
      m.query(
        `SELECT public_jwk FROM service_keys WHERE purpose = 'journal-note'
          ORDER BY retired_at IS NOT NULL, created_at DESC, kid DESC`,
      ),
    );
    return rows.map((r) => Buffer.from(String(r.public_jwk.x), 'base64url'));
  }

  private async activeRow(purpose: KeyPurpose, manager?: EntityManager, alg: KeyAlg = ALG): Promise<KeyRow | undefined> {
    const rows: KeyRow[] = await this.inTransaction(manager, (m) =>
      m.query(
        `SELECT kid, purpose, alg, public_jwk, private_jwk FROM service_keys
          WHERE purpose = $1 AND alg = $2 AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1`,
        [purpose, alg],
      ),
    );
    return rows[0];
  }

  private async createIfMissing(manager: EntityManager, purpose: KeyPurpose, alg: KeyAlg): Promise<KeyRow> {
    // Several instances may start at once: one creates, the others then find it.
    await this.lockPurpose(manager, purpose);
    const existing = await this.activeRow(purpose, manager, alg);
    if (existing) return existing;
    const created = await this.insertKey(manager, purpose, alg);
    this.logger.log(`generated the first ${purpose} key ${created.kid}`);
    return created;
  }

  private async insertKey(manager: EntityManager, purpose: KeyPurpose, alg: KeyAlg = ALG): Promise<KeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    // jose 6 names the Ed25519 algorithm itself; its JWKs (OKP, x and d) are what noteSignerKey reads.
    const publicJwk = await exportJWK(publicKey);
    const kid = `${purpose}-${alg === ALG ? '' : `${alg.toLowerCase()}-`}${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const privateJwk = encryptSecret(JSON.stringify(await exportJWK(privateKey)), this.encryptionKey, aadOf(kid, purpose));
    await manager.query(
      `INSERT INTO service_keys (kid, purpose, alg, public_jwk, private_jwk) VALUES ($1, $2, $3, $4, $5)`,
      [kid, purpose, alg, JSON.stringify(publicJwk), privateJwk],
    );
    this.cache.set(kid, privateKey);
    return { kid, purpose, alg, public_jwk: publicJwk, private_jwk: privateJwk };
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
