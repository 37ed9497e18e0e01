import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DEMARCHE_IDS, isDemarcheId, type DemarcheId } from '../demarches/demarches.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { ValidationError } from '../shared/domain-error.js';
import { StructuresService } from '../structures/structures.service.js';
import { AttestationsService } from './attestations.service.js';
import { DURATIONS, isDuration, type Duration } from './mandate-status.js';
import { mandatesRepository as repo } from './mandates.repository.js';
import type { MandateView } from './mandates.types.js';
import { MandatesService } from './mandates.service.js';

export type ConsentEvidence =
  | { kind: 'franceconnect'; acr: string; authTime?: number; idTokenHash: string }
  | { kind: 'renewal'; previousConsentId: string; renewedFrom: string }
  | RemoteConsentEvidence;

/** FranceConnect authentication on the usager's own device, answering a remote consent request. */
export interface RemoteConsentEvidence {
  kind: 'remote';
  acr: string;
  authTime?: number;
  idTokenHash: string;
  consentRequestId: string;
  channel: 'email' | 'phone';
  fcTransactionId: string;
}

export interface MandateChoice {
  demarches: DemarcheId[];
  duration: Duration;
}

export interface OpenMandate {
  aidantId: string;
  structureId: string;
  usagerId: string;
  choice: MandateChoice;
  consent: ConsentEvidence;
  submissionId: string;
  declaredAt: Date;
  totpConfirmedAt: Date;
  request?: RequestFacts;
}

/**
 * Checks the form of step 1 (and of a renewal): at least one démarche of the
 * catalogue that the structure allows, and a known duration. French messages
 * per field.
 */
export function readChoice(body: unknown, allowed: readonly string[]): MandateChoice {
  const raw = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const list = raw.demarches === undefined ? [] : Array.isArray(raw.demarches) ? raw.demarches : [raw.demarches];
  const fields: Record<string, string> = {};
  if (list.length === 0) fields.demarches = 'Choisissez au moins une démarche.';
  else if (list.length > DEMARCHE_IDS.length || !list.every(isDemarcheId)) fields.demarches = 'Cette démarche n’existe pas.';
  else if (!list.every((d) => allowed.includes(d))) fields.demarches = 'Votre structure ne propose pas cette démarche.';
  if (!isDuration(raw.duree)) fields.duree = 'Choisissez une durée : 1 jour, 1 mois, 6 mois ou 1 an.';
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);
  return { demarches: DEMARCHE_IDS.filter((d) => (list as string[]).includes(d)), duration: raw.duree as Duration };
}

/** Opening a mandate, inside the caller's transaction: consent, mandate, autorisations, supersession, attestation, journal. */
@Injectable()
export class MandateOpeningService {
  constructor(
    private readonly journal: JournalService,
    private readonly structures: StructuresService,
    private readonly mandates: MandatesService,
    private readonly attestations: AttestationsService,
  ) {}

  /** Was this wizard or renewal form already confirmed (a mandate exists for it)? */
  isSubmitted(manager: EntityManager, submissionId: string): Promise<boolean> {
    return repo.isSubmitted(manager, submissionId);
  }

  async open(manager: EntityManager, input: OpenMandate): Promise<MandateView> {
    const structure = await this.structures.getById(manager, input.structureId);
    const { demarches, duration } = readChoice(
      { demarches: input.choice.demarches, duree: input.choice.duration },
      structure.allowedDemarches,
    );
    const actor = { type: 'aidant' as const, id: input.aidantId };
    const fc = input.consent.kind === 'renewal' ? null : input.consent;
    const remote = input.consent.kind === 'remote' ? input.consent : null;
    const consentId = await repo.insertConsent(manager, {
      kind: input.consent.kind,
      submissionId: input.submissionId,
      fcAcr: fc ? fc.acr : null,
      fcAuthTime: fc?.authTime ? new Date(fc.authTime * 1000) : null,
      idTokenHash: fc ? fc.idTokenHash : null,
      previousConsentId: input.consent.kind === 'renewal' ? input.consent.previousConsentId : null,
      consentRequestId: remote?.consentRequestId ?? null,
      remoteChannel: remote?.channel ?? null,
      fcTransactionId: remote?.fcTransactionId ?? null,
      declaredBy: input.aidantId,
      declaredAt: input.declaredAt,
      totpConfirmedAt: input.totpConfirmedAt,
    });
    const previous = await repo.lockOpenAutorisations(manager, {
      structureId: structure.id,
      usagerId: input.usagerId,
      demarches,
    });
    for (const old of previous) await repo.closeAutorisation(manager, old.id, old.live ? 'superseded' : 'lapsed');
    const mandate = await repo.insertMandate(manager, {
      structureId: structure.id,
      usagerId: input.usagerId,
      openedBy: input.aidantId,
      consentId,
      renewedFrom: input.consent.kind === 'renewal' ? input.consent.renewedFrom : null,
      duration,
      days: DURATIONS[duration].days,
    });
    const subjects = { usagerId: input.usagerId, mandateId: mandate.id, aidantId: input.aidantId };
    const base = { structureId: structure.id, actor, request: input.request };
    if (input.consent.kind === 'renewal') {
      await this.journal.append(manager, {
        ...base,
        action: 'mandate.renewed',
        subjects,
        details: { renewedFrom: input.consent.renewedFrom, previousConsentId: input.consent.previousConsentId, consentId },
      });
    }
    await this.journal.append(manager, {
      ...base,
      action: 'mandate.created',
      subjects,
      details: {
        demarches,
        duration,
        expiresAt: mandate.expiresAt.toISOString(),
        consentId,
        consent: input.consent.kind,
        ...(remote ? { consentRequestId: remote.consentRequestId } : {}),
      },
    });
    for (const demarche of demarches) {
      const autorisationId = await repo.insertAutorisation(manager, {
        mandateId: mandate.id,
        structureId: structure.id,
        usagerId: input.usagerId,
        demarche,
      });
      await this.journal.append(manager, { ...base, action: 'autorisation.created', subjects, demarche, details: { autorisationId } });
      for (const old of previous.filter((p) => p.demarche === demarche)) {
        await repo.recordSupersession(manager, old.id, autorisationId);
        await this.journal.append(manager, {
          ...base,
          action: 'autorisation.superseded',
          subjects: { ...subjects, mandateId: old.mandateId },
          demarche,
          details: { autorisationId: old.id, previousMandateId: old.mandateId, supersededBy: autorisationId, lapsed: !old.live },
        });
      }
    }
    const view = (await this.mandates.viewsOf(manager, [mandate]))[0]!;
    // Signed once, now, and stored: printing it later writes nothing (docs/decisions/0503).
    await this.attestations.issue(manager, { kind: 'mandate', mandate: view, actor, request: input.request });
    return view;
  }
}
