import { Injectable } from '@nestjs/common';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UsagersService } from '../usagers/usagers.service.js';
import { frenchDate, identityDisplay } from '../web/french/index.js';
import { REVOCATION_REASONS } from './mandate-revocation.service.js';
import { MandateNotLiveError, mandateNotFound } from './mandates.errors.js';
import { MandatesService } from './mandates.service.js';
import type { MandateView } from './mandates.types.js';

/**
 * The pages shown before a revocation is written: what will end, for whom,
 * and that it cannot be undone. They only read (nothing is journaled); the
 * revocation itself stays the POST it always was, so a page left open and
 * submitted later is checked again there.
 */
@Injectable()
export class RevocationConfirmationsService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly mandates: MandatesService,
    private readonly usagers: UsagersService,
  ) {}

  /**
   * The aidant's confirmation: the whole mandate, or one démarche of it
   * (`autorisationId`). Another structure's mandate: the usual not-found.
   */
  async forAidant(actor: AidantActor, mandateId: string, autorisationId: unknown) {
    return this.transactions.read(async (m) => {
      const mandate = await this.mandates.getForStructure(m, actor.structureId, mandateId);
      const usager = await this.usagers.findById(m, mandate.usagerId);
      if (!usager) throw new Error(`usager of mandate ${mandate.id} missing`);
      requireLive(mandate);
      const live = mandate.autorisations.filter((a) => a.status === 'live');
      let demarche: { id: string; label: string } | null = null;
      if (autorisationId !== undefined && autorisationId !== '') {
        const target = typeof autorisationId === 'string' ? mandate.autorisations.find((a) => a.id === autorisationId) : undefined;
        if (!target) throw mandateNotFound('autorisation not in mandate');
        if (target.status !== 'live') throw new MandateNotLiveError('Cette démarche est déjà révoquée ou expirée.', 'autorisation not live');
        demarche = { id: target.id, label: target.label };
      }
      return {
        pageTitle: demarche ? 'Révoquer une démarche' : 'Révoquer le mandat',
        mandateId: mandate.id,
        structureName: mandate.structureName,
        usager: usagerShown(usager),
        demarche,
        // Revoking the last live démarche ends the mandate as well.
        endsMandate: !demarche || live.length === 1,
        labels: demarche ? [demarche.label] : live.map((a) => a.label),
        kept: demarche ? live.filter((a) => a.id !== demarche.id).map((a) => a.label) : [],
        endLabel: frenchDate(mandate.expiresAt),
        reasons: REVOCATION_REASONS,
        values: {},
        errors: {},
      };
    });
  }

  /** The usager's confirmation, for one of their own live mandates. */
  async forUsager(usagerId: string, mandateId: string) {
    return this.transactions.read(async (m) => {
      const mandate = await this.mandates.getForUsager(m, usagerId, mandateId);
      requireLive(mandate);
      return {
        pageTitle: 'Révoquer mon mandat',
        mandateId: mandate.id,
        structureName: mandate.structureName,
        labels: mandate.liveDemarches.map((d) => mandate.autorisations.find((a) => a.demarche === d)?.label ?? d),
        createdLabel: frenchDate(mandate.createdAt),
        endLabel: frenchDate(mandate.expiresAt),
      };
    });
  }
}

function requireLive(mandate: MandateView): void {
  if (mandate.status !== 'live') {
    throw new MandateNotLiveError('Ce mandat est déjà révoqué ou expiré : il n’y a rien à révoquer.', 'mandate not live');
  }
}

/** The person as on their identity document (birth name first), and their birth date in words. */
function usagerShown(usager: Parameters<typeof identityDisplay>[0]): { name: string; birthdate: string } {
  const identity = identityDisplay(usager);
  return { name: identity.inSentence, birthdate: identity.birthdate };
}
