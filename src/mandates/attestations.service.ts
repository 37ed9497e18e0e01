import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CompactSign, compactVerify, createLocalJWKSet, decodeProtectedHeader, errors as joseErrors } from 'jose';
import QRCode from 'qrcode';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { JournalService } from '../journal/journal.service.js';
import type { JournalActor, RequestFacts } from '../journal/journal.types.js';
import { KeysService } from '../keys/keys.service.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { STATUS_LABELS, type MandateStatus } from './mandate-status.js';
import { AttestationInvalidError } from './mandates.errors.js';
import { MandatesService } from './mandates.service.js';
import type { MandateView } from './mandates.types.js';

export const ATTESTATION_TYP = 'procuration-attestation+jws';
export const VERIFICATION_PATH = '/attestations/verification';

export interface PersonNames {
  givenName: string;
  familyName: string;
}

/** The signed claims of an attestation (what both parties hold on paper). */
export interface AttestationClaims {
  kind: 'mandate' | 'revocation';
  jti: string;
  iss: string;
  iat: number;
  mandate: string;
  structure: { name: string; siret: string };
  aidant: { given_name: string; family_name: string };
  usager: { given_name: string; family_name: string; birthdate: string };
  demarches: string[];
  created_at: string;
  expires_at: string;
  /** Revocation attestations only. */
  revoked_at?: string;
  revoked_demarches?: string[];
}

export interface IssuedAttestation {
  jws: string;
  claims: AttestationClaims;
  verificationUrl: string;
  /** Server-side SVG of the verification link (no script). */
  qrSvg: string;
}

export interface VerifiedAttestation {
  claims: AttestationClaims;
  kid: string;
  status: MandateStatus;
  statusLabel: string;
}

/**
 * Attestations: compact JWS (ES256) signed with the `attestation` key,
 * verified against the published keys; the mandate's status is read from
 * the database at verification time.
 */
@Injectable()
export class AttestationsService {
  private readonly logger = new Logger(AttestationsService.name);

  constructor(
    private readonly keys: KeysService,
    private readonly journal: JournalService,
    private readonly mandates: MandatesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(
    manager: EntityManager,
    input: {
      kind: 'mandate' | 'revocation';
      mandate: MandateView;
      aidant: PersonNames;
      usager: PersonNames & { birthdate: string };
      actor: JournalActor;
      request?: RequestFacts;
    },
  ): Promise<IssuedAttestation> {
    const { mandate } = input;
    const revoked = mandate.autorisations.filter((a) => a.status === 'revoked');
    const claims: AttestationClaims = {
      kind: input.kind,
      jti: randomUUID(),
      iss: this.config.publicUrl,
      iat: Math.floor(Date.now() / 1000),
      mandate: mandate.id,
      structure: { name: mandate.structureName, siret: mandate.structureSiret },
      aidant: { given_name: input.aidant.givenName, family_name: input.aidant.familyName },
      usager: { given_name: input.usager.givenName, family_name: input.usager.familyName, birthdate: input.usager.birthdate },
      demarches: mandate.autorisations.map((a) => a.demarche),
      created_at: mandate.createdAt.toISOString(),
      expires_at: mandate.expiresAt.toISOString(),
      ...(input.kind === 'revocation'
        ? {
            revoked_at: (mandate.revokedAt ?? revoked.at(-1)?.revokedAt ?? new Date()).toISOString(),
            revoked_demarches: revoked.map((a) => a.demarche),
          }
        : {}),
    };
    const key = await this.keys.signingKey('attestation', manager);
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ATTESTATION_TYP })
      .sign(key.privateKey);
    await this.journal.append(manager, {
      action: 'attestation.issued',
      structureId: mandate.structureId,
      actor: input.actor,
      subjects: { mandateId: mandate.id, usagerId: mandate.usagerId },
      request: input.request,
      details: { kind: input.kind, kid: key.kid },
    });
    const verificationUrl = `${this.config.publicUrl}${VERIFICATION_PATH}?jws=${jws}`;
    const qrSvg = await QRCode.toString(verificationUrl, { type: 'svg', errorCorrectionLevel: 'L', margin: 1 });
    return { jws, claims, verificationUrl, qrSvg };
  }

  /** Checks the signature against the published keys, then reads the mandate's status now. */
  async verify(manager: EntityManager, jws: string, request?: RequestFacts): Promise<VerifiedAttestation> {
    const compact = jws.trim();
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(compact) || compact.length > 8000) {
      throw invalid('Ce texte n’est pas une attestation Procuration : vérifiez que vous l’avez copié en entier.', 'malformed jws');
    }
    let kid: string;
    let claims: AttestationClaims;
    try {
      const header = decodeProtectedHeader(compact);
      if (header.alg !== 'ES256' || header.typ !== ATTESTATION_TYP || typeof header.kid !== 'string') {
        throw invalid('Ce texte n’est pas une attestation Procuration.', 'unexpected jws header');
      }
      kid = header.kid;
      const jwks = createLocalJWKSet(await this.keys.publicJwks(['attestation'], manager));
      const { payload } = await compactVerify(compact, jwks, { algorithms: ['ES256'] });
      claims = JSON.parse(new TextDecoder().decode(payload)) as AttestationClaims;
    } catch (error) {
      if (error instanceof AttestationInvalidError) throw error;
      if (error instanceof joseErrors.JWKSNoMatchingKey) {
        throw invalid('Cette attestation est signée par une clé inconnue de Procuration : elle n’est pas authentique.', 'unknown kid');
      }
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw invalid('La signature de cette attestation ne correspond pas à son contenu : elle a été modifiée ou falsifiée.', 'bad signature');
      }
      throw invalid('Ce texte n’est pas une attestation Procuration lisible.', 'unreadable jws', error);
    }
    const mandate = typeof claims.mandate === 'string' ? await this.mandates.findById(manager, claims.mandate) : null;
    if (!mandate) throw invalid('Le mandat de cette attestation est inconnu.', 'signed attestation of an unknown mandate');
    await this.journal.append(manager, {
      action: 'attestation.verified',
      structureId: mandate.structureId,
      actor: { type: 'system', id: null },
      subjects: { mandateId: mandate.id },
      request,
      details: { kind: claims.kind, kid, status: mandate.status },
    });
    this.logger.log(`attestation of mandate ${mandate.id} verified (${mandate.status})`);
    return { claims, kid, status: mandate.status, statusLabel: STATUS_LABELS[mandate.status] };
  }
}

function invalid(userMessage: string, logMessage: string, cause?: unknown): AttestationInvalidError {
  return new AttestationInvalidError(userMessage, `attestation refused: ${logMessage}`, { cause });
}
