import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import { StructuresService } from '../structures/structures.service.js';
import type { AidantActor } from './aidant-actor.js';
import { AidantsService } from './aidants.service.js';
import { requireStructureAccess } from './structure-access.js';
import { TotpDevicesService } from './totp-devices.service.js';

/**
 * The pages a référent sees before suspending an aidant or disabling a card:
 * who is concerned and what happens at once. They only read; the action is
 * the POST that follows, checked again there.
 */
@Injectable()
export class ReferentConfirmationsService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly aidants: AidantsService,
    private readonly structures: StructuresService,
    private readonly devices: TotpDevicesService,
  ) {}

  /** Suspending a member of the référent's structure (an aidant of another structure: not found). */
  async suspension(actor: AidantActor, structureId: string, aidantId: string) {
    requireStructureAccess(actor, structureId);
    return this.transactions.read(async (m) => {
      const member = await this.member(m, structureId, aidantId);
      if (aidantId === actor.aidantId) throw new ValidationError({ aidant: 'Vous ne pouvez pas suspendre votre propre accès.' });
      return { pageTitle: 'Suspendre un aidant', kind: 'suspension', ...member };
    });
  }

  /** Disabling one of the live cards of a member of the référent's structure. */
  async cardDisabling(actor: AidantActor, structureId: string, aidantId: string, serial: unknown) {
    requireStructureAccess(actor, structureId);
    return this.transactions.read(async (m) => {
      const member = await this.member(m, structureId, aidantId);
      const devices = await this.devices.liveDevicesOf(m, aidantId);
      const card = devices.find((d) => d.kind === 'card' && d.serial === serial);
      if (!card) throw new NotFoundError('Cette carte n’est pas une carte en service de cet aidant.', 'card not live for this aidant');
      return { pageTitle: 'Désactiver une carte', kind: 'card', ...member, serial: card.serial, othersLeft: devices.length - 1 };
    });
  }

  private async member(m: EntityManager, structureId: string, aidantId: string) {
    const membership = await this.aidants.requireMember(m, structureId, aidantId);
    const aidant = await this.aidants.findById(m, aidantId);
    if (!aidant) throw new NotFoundError('Cet aidant n’existe pas dans votre structure.', 'aidant not found');
    const structure = await this.structures.getById(m, structureId);
    return {
      aidantId,
      name: `${aidant.givenName} ${aidant.familyName}`,
      structureName: structure.name,
      suspended: membership.suspendedAt !== null,
    };
  }
}
