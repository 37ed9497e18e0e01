import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CompactSign, compactVerify, createLocalJWKSet, decodeProtectedHeader, errors as joseErrors } from 'jose';
import QRCode from 'qrcode';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { AidantsService } from '../aidants/aidants.service.js';
import { JournalService } from '../journal/journal.service.js';
import type { JournalActor, RequestFacts } from '../journal/journal.types.js';
import { KeysService } from '../keys/keys.service.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { UsagersService } from '../usagers/usagers.service.js';
import { attestationsRepository as repo, type StoredAttestation } from './attestations.repository.js';
import { STATUS_LABELS, type MandateStatus } from './mandate-status.js';
import { AttestationInvalidError } from './mandates.errors.js';
import { MandatesService } from './mandates.service.js';
import type { MandateView } from './mandates.types.js';

export const ATTESTATION_TYP = 'procuration-attestation+jws';
export const VERIFICATION_PATH = '/attestations/verification';

/** The signed claims of an attestation (what both parties hold on paper). */
export interface AttestationClaims {
  kind: 'mandate' | 'revocation';
  jti: string;
  iss: string;
  iat: number;
  mandate: string;
  structure: { name: string; siret: string };
  aidant: { given_name: string; family_name: string };
  /**
   * `family_name` is the name the person uses (the nom d'usage when there is
   * one). Attestations signed since the identity is printed as on the
   * document also carry the birth name, gender and INSEE birthplace codes.
   */
  usager: {
    given_name: string;
    family_name: string;
    birthdate: string;
    birth_name?: string;
    gender?: string;
    birthplace?: string;
    birthcountry?: string;
  };
  demarches: string[];
  created_at: string;
  expires_at: string;
  /** Revocation attestations only. */
  revoked_at?: string;
  revoked_demarches?: string[];
}

export interface PrintableAttestation {
  id: string;
  jws: string;
  claims: AttestationClaims;
  /** The short link of the QR code: the attestation's id, not its signature. */
  verificationUrl: string;
  /** Server-side SVG of the verification link (no script). */
  qrSvg: string;
}

export interface VerifiedAttestation {
  claims: AttestationClaims;
  kid: string;
  /** The attestation's `jti`: the key of its daily verification record. */
  attestationId: string;
  status: MandateStatus;
  statusLabel: string;
  /** When the mandate stopped (revocation or end), if it has. */
  endedAt: Date | null;
  structureId: string;
  mandateId: string;
}

/**
 * Attestations: compact JWS (ES256) signed once with the `attestation` key
 * and stored (the mandate's when it is opened, a revocation's when it is
 * revoked), printed from the stored copy, verified against the published
 * keys; the mandate's status is read from the database at verification
 * (docs/decisions/0503-attestation-stored-once-short-qr.md).
 */
@Injectable()
export class AttestationsService {
  constructor(
    private readonly keys: KeysService,
    private readonly journal: JournalService,
    private readonly mandates: MandatesService,
    private readonly aidants: AidantsService,
    private readonly usagers: UsagersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Signs, stores and journals (`attestation.issued`) an attestation, inside the caller's transaction. */
  async issue(
    manager: EntityManager,
    input: { kind: 'mandate' | 'revocation'; mandate: MandateView; actor: JournalActor; request?: RequestFacts },
  ): Promise<StoredAttestation> {
    const { mandate, kind } = input;
    const names = await this.namesOf(manager, mandate);
    const revoked = mandate.autorisations.filter((a) => a.status === 'revoked');
    const id = randomUUID();
    const claims: AttestationClaims = {
      kind,
      jti: id,
      iss: this.config.publicUrl,
      iat: Math.floor(Date.now() / 1000),
      mandate: mandate.id,
      structure: { name: mandate.structureName, siret: mandate.structureSiret },
      ...names,
      demarches: mandate.autorisations.map((a) => a.demarche),
      created_at: mandate.createdAt.toISOString(),
      expires_at: mandate.expiresAt.toISOString(),
      ...(kind === 'revocation'
        ? {
            revoked_at: (mandate.revokedAt ?? latest(revoked.map((a) => a.revokedAt)) ?? new Date()).toISOString(),
            revoked_demarches: revoked.map((a) => a.demarche),
          }
        : {}),
    };
    const key = await this.keys.signingKey('attestation', manager);
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ATTESTATION_TYP })
      .sign(key.privateKey);
    const stored = { id, mandateId: mandate.id, kind, kid: key.kid, jws };
    if (!(await repo.insert(manager, stored))) {
      // Another request stored this mandate's attestation first: that one stands.
      return (await repo.latestOf(manager, mandate.id, 'mandate'))!;
    }
    await this.journal.append(manager, {
      action: 'attestation.issued',
      structureId: mandate.structureId,
      actor: input.actor,
      subjects: { mandateId: mandate.id, usagerId: mandate.usagerId },
      request: input.request,
      details: { kind, kid: key.kid, attestationId: id },
    });
    return { ...stored, issuedAt: new Date() };
  }

  /**
   * The attestation to print: the stored one. Only a mandate opened before
   * attestations were stored (or a revocation of that time) has none: it is
   * signed and stored on this first request, never again.
   */
  async printable(
    manager: EntityManager,
    input: { kind: 'mandate' | 'revocation'; mandate: MandateView; actor: JournalActor; request?: RequestFacts },
  ): Promise<PrintableAttestation> {
    const stored = (await repo.latestOf(manager, input.mandate.id, input.kind)) ?? (await this.issue(manager, input));
    const verificationUrl = this.verificationUrlOf(stored.id);
    return {
      id: stored.id,
      jws: stored.jws,
      claims: payloadOf(stored.jws),
      verificationUrl,
      qrSvg: await QRCode.toString(verificationUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }),
    };
  }

  verificationUrlOf(attestationId: string): string {
    return `${this.config.publicUrl}${VERIFICATION_PATH}?id=${attestationId}`;
  }

  /** The stored attestation of a QR code's link: its signature is checked again, as a pasted one would be. */
  async verifyById(manager: EntityManager, id: string): Promise<VerifiedAttestation> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      throw invalid('Ce lien de vérification n’est pas valide : scannez de nouveau le QR code, ou collez la signature électronique imprimée sur l’attestation.', 'malformed attestation id');
    }
    const stored = await repo.findById(manager, id);
    if (!stored) throw invalid('Cette attestation est inconnue de Procuration : elle n’est pas authentique.', 'unknown attestation id');
    return this.verify(manager, stored.jws);
  }

  /** Checks the signature against the published keys, then reads the mandate's status now. Writes nothing. */
  async verify(manager: EntityManager, jws: string): Promise<VerifiedAttestation> {
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
    const endedAt =
      mandate.status === 'revoked'
        ? (mandate.revokedAt ?? latest(mandate.autorisations.map((a) => a.revokedAt)))
        : mandate.status === 'expired'
          ? mandate.expiresAt
          : null;
    return {
      claims,
      kid,
      attestationId: typeof claims.jti === 'string' && claims.jti.length <= 64 ? claims.jti : compact.slice(-43),
      status: mandate.status,
      statusLabel: STATUS_LABELS[mandate.status],
      endedAt,
      structureId: mandate.structureId,
      mandateId: mandate.id,
    };
  }

  /** The names printed on the attestation, as the mandate's records hold them now. */
  private async namesOf(manager: EntityManager, mandate: MandateView): Promise<Pick<AttestationClaims, 'aidant' | 'usager'>> {
    const usager = await this.usagers.findById(manager, mandate.usagerId);
    if (!usager) throw new Error(`usager of mandate ${mandate.id} missing`);
    const opener = await this.aidants.findById(manager, mandate.openedBy);
    return {
      aidant: { given_name: opener?.givenName ?? '', family_name: opener?.familyName ?? '' },
      usager: {
        given_name: usager.givenName,
        family_name: usager.preferredUsername ?? usager.familyName,
        birthdate: usager.birthdate,
        birth_name: usager.familyName,
        gender: usager.gender,
        birthplace: usager.birthplace,
        birthcountry: usager.birthcountry,
      },
    };
  }
}

/** The payload of a JWS that this service signed and stored (already trusted: read, not verified). */
function payloadOf(jws: string): AttestationClaims {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as AttestationClaims;
}

function latest(dates: Array<Date | null>): Date | null {
  const times = dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return times.length > 0 ? new Date(Math.max(...times)) : null;
}

function invalid(userMessage: string, logMessage: string, cause?: unknown): AttestationInvalidError {
  return new AttestationInvalidError(userMessage, `attestation refused: ${logMessage}`, { cause });
}
