import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { JournalService } from '../journal/journal.service.js';
import type { JournalActor } from '../journal/journal.types.js';
import { decryptSecret, encryptSecret } from '../keys/key-encryption.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { isClientIdShape, validateNewPartner } from './partner-input.js';
import { PartnerExistsError, PartnerHasNoSecretError, PartnerNotFoundError } from './partners.errors.js';
import { partnerRows, toPartnerView, type PartnerRow } from './partners.repository.js';
import type { NewPartner, PartnerCredentials, PartnerView } from './partners.types.js';

/**
 * Partner services (OIDC clients of the provider face): registered,
 * listed, disabled and given a new secret by the operator. The secret is
 * shown once and kept encrypted with KEYS_ENCRYPTION_KEY, because
 * oidc-provider compares client secrets itself (docs/decisions/0600).
 */
@Injectable()
export class PartnersService {
  private readonly encryptionKey: Buffer;
  private readonly allowHttp: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly journal: JournalService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.encryptionKey = Buffer.from(config.keysEncryptionKey, 'base64');
    this.allowHttp = config.nodeEnv !== 'production';
  }

  /** Registers a partner; returns it with its secret (shown once) for the secret methods. */
  async register(
    m: EntityManager,
    input: NewPartner,
    actor: JournalActor,
    options: { developmentSecret?: string } = {},
  ): Promise<{ partner: PartnerView; secret: string | null }> {
    const valid = validateNewPartner(input, this.allowHttp);
    const clientId = valid.clientId ?? `partenaire-${randomBytes(9).toString('base64url')}`;
    if (await partnerRows.findByClientId(m, clientId)) throw new PartnerExistsError(clientId);
    // A known secret only for the development demo partner (the seed never runs in production).
    const given = this.allowHttp ? options.developmentSecret : undefined;
    const secret = valid.authMethod === 'private_key_jwt' ? null : (given ?? newSecret());
    const row = await partnerRows.insert(m, {
      name: valid.name,
      client_id: clientId,
      token_endpoint_auth_method: valid.authMethod,
      secret_sealed: secret === null ? null : this.seal(clientId, secret),
      jwks: valid.authMethod === 'private_key_jwt' ? valid.jwks! : null,
      redirect_uris: valid.redirectUris,
      post_logout_redirect_uris: valid.postLogoutRedirectUris ?? [],
      demarches: valid.demarches,
      scopes: valid.scopes,
      id_token_signed_response_alg: valid.idTokenAlg ?? 'ES256',
      userinfo_signed_response_alg: valid.userinfoAlg ?? null,
    });
    await this.journal.append(m, {
      action: 'partner.registered',
      structureId: null,
      actor,
      subjects: { partnerId: row.id },
      details: { clientId, name: row.name, demarches: row.demarches, authMethod: row.token_endpoint_auth_method, scopes: row.scopes },
    });
    return { partner: toPartnerView(row), secret };
  }

  async list(m: EntityManager): Promise<PartnerView[]> {
    return (await partnerRows.listAll(m)).map(toPartnerView);
  }

  async findByClientId(m: EntityManager, clientId: string): Promise<PartnerView | null> {
    const row = await partnerRows.findByClientId(m, clientId);
    return row ? toPartnerView(row) : null;
  }

  async findById(m: EntityManager, id: string): Promise<PartnerView | null> {
    const row = await partnerRows.findById(m, id);
    return row ? toPartnerView(row) : null;
  }

  /** An active partner with its secret or keys, for the provider; null when unknown or disabled. */
  async activeCredentials(clientId: string, m: EntityManager = this.dataSource.manager): Promise<PartnerCredentials | null> {
    // The provider passes the client_id of any request here, as sent.
    if (!isClientIdShape(clientId)) return null;
    const row = await partnerRows.findByClientId(m, clientId);
    if (!row?.active) return null;
    return {
      ...toPartnerView(row),
      secret: row.secret_sealed === null ? null : decryptSecret(row.secret_sealed, this.encryptionKey, aadOf(row.client_id)),
      jwks: row.jwks,
    };
  }

  async disable(m: EntityManager, clientId: string, actor: JournalActor): Promise<PartnerView> {
    const row = await this.require(m, clientId);
    await partnerRows.setActive(m, row.id, false);
    await this.journal.append(m, {
      action: 'partner.disabled',
      structureId: null,
      actor,
      subjects: { partnerId: row.id },
      details: { clientId },
    });
    return { ...toPartnerView(row), active: false };
  }

  /** A new secret (the old one stops working at once); returned to be shown once. */
  async rotateSecret(m: EntityManager, clientId: string, actor: JournalActor): Promise<string> {
    const row = await this.require(m, clientId);
    if (row.token_endpoint_auth_method === 'private_key_jwt') throw new PartnerHasNoSecretError();
    const secret = newSecret();
    await partnerRows.setSecret(m, row.id, this.seal(clientId, secret));
    await this.journal.append(m, {
      action: 'partner.secret_rotated',
      structureId: null,
      actor,
      subjects: { partnerId: row.id },
      details: { clientId },
    });
    return secret;
  }

  private async require(m: EntityManager, clientId: string): Promise<PartnerRow> {
    const row = await partnerRows.findByClientId(m, clientId);
    if (!row) throw new PartnerNotFoundError(clientId);
    return row;
  }

  private seal(clientId: string, secret: string): string {
    return encryptSecret(secret, this.encryptionKey, aadOf(clientId));
  }
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function aadOf(clientId: string): string {
  return `partners:secret:${clientId}`;
}
