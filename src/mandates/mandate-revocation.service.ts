import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { ValidationError } from '../shared/domain-error.js';
import { AttestationsService } from './attestations.service.js';
import { statusOf } from './mandate-status.js';
import { MandateNotLiveError, mandateNotFound } from './mandates.errors.js';
import { mandatesRepository as repo } from './mandates.repository.js';
import { MandatesService } from './mandates.service.js';
import type { MandateView } from './mandates.types.js';

export type Revoker =
  | { type: 'aidant' | 'referent'; aidantId: string; structureId: string }
  | { type: 'usager'; usagerId: string };

/** Reasons offered on the revocation form (journaled as ids: the journal carries no free text). */
export const REVOCATION_REASONS = {
  demande_usager: 'À la demande de la personne accompagnée',
  fin_accompagnement: 'Fin de l’accompagnement',
  erreur: 'Mandat créé par erreur',
  autre: 'Autre raison',
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function readReason(value: unknown): RevocationReason {
  if (typeof value === 'string' && Object.hasOwn(REVOCATION_REASONS, value)) return value as RevocationReason;
  throw new ValidationError({ motif: 'Choisissez le motif de la révocation.' });
}

export interface Revocation {
  mandateId: string;
  /** One autorisation only; the whole mandate when absent. */
  autorisationId?: string;
  by: Revoker;
  reason: RevocationReason;
  request?: RequestFacts;
}

/** Revoking a mandate or one of its autorisations: takes effect for every later check. */
@Injectable()
export class MandateRevocationService {
  constructor(
    private readonly journal: JournalService,
    private readonly mandates: MandatesService,
    private readonly attestations: AttestationsService,
  ) {}

  async revoke(manager: EntityManager, input: Revocation): Promise<{ mandate: MandateView; revokedDemarches: string[] }> {
    // Access first: the same answer for a missing mandate and someone else's.
    const mandate = await repo.findMandate(manager, input.mandateId, { lock: true });
    const by = input.by;
    const mine = by.type === 'usager' ? mandate?.usagerId === by.usagerId : mandate?.structureId === by.structureId;
    if (!mandate || !mine) throw mandateNotFound('revocation of an inaccessible mandate');
    const now = await repo.databaseNow(manager);
    const view = (await this.mandates.viewsOf(manager, [mandate]))[0]!;
    if (statusOf(mandate, now) !== 'live' || view.status !== 'live') {
      throw new MandateNotLiveError('Ce mandat est déjà révoqué ou expiré : il n’y a rien à révoquer.', 'mandate not live');
    }
    const targets = input.autorisationId
      ? view.autorisations.filter((a) => a.id === input.autorisationId)
      : view.autorisations.filter((a) => a.status === 'live');
    if (input.autorisationId && targets.length === 0) throw mandateNotFound('autorisation not in mandate');
    if (targets.some((a) => a.status !== 'live')) {
      throw new MandateNotLiveError('Cette démarche est déjà révoquée ou expirée.', 'autorisation not live');
    }
    const actor = by.type === 'usager' ? { type: 'usager' as const, id: by.usagerId } : { type: 'aidant' as const, id: by.aidantId };
    const subjects = { usagerId: mandate.usagerId, mandateId: mandate.id, aidantId: by.type === 'usager' ? null : by.aidantId };
    const base = { structureId: mandate.structureId, actor, subjects, request: input.request };
    const revoker = { type: by.type, id: actor.id, reason: input.reason };
    for (const a of targets) {
      if (input.autorisationId) await repo.closeAutorisation(manager, a.id, 'revoked');
      await this.journal.append(manager, {
        ...base,
        action: 'autorisation.revoked',
        demarche: a.demarche,
        details: { autorisationId: a.id, by: by.type, reason: input.reason },
      });
    }
    const closed = input.autorisationId
      ? await repo.closeMandatesWithoutOpenAutorisation(manager, [mandate.id], revoker)
      : (await repo.revokeMandate(manager, mandate.id, revoker), [mandate.id]);
    if (closed.length > 0) {
      await this.journal.append(manager, {
        ...base,
        action: 'mandate.revoked',
        details: { by: by.type, reason: input.reason, autorisations: view.autorisations.filter((a) => a.status === 'live').map((a) => a.id) },
      });
    }
    const after = (await this.mandates.viewsOf(manager, [(await repo.findMandate(manager, mandate.id))!]))[0]!;
    // The revocation attestation is signed now, once, and stored with the revocation.
    await this.attestations.issue(manager, { kind: 'revocation', mandate: after, actor, request: input.request });
    return { mandate: after, revokedDemarches: targets.map((a) => a.demarche) };
  }
}
