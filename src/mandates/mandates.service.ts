import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DEMARCHE_IDS, demarcheLabel, isDemarcheId } from '../demarches/demarches.js';
import { StructuresService, type StructureView } from '../structures/structures.service.js';
import type { Autorisation } from './autorisation.entity.js';
import { DURATIONS, STATUS_LABELS, statusOf } from './mandate-status.js';
import type { Mandate } from './mandate.entity.js';
import { mandateNotFound } from './mandates.errors.js';
import { mandatesRepository as repo } from './mandates.repository.js';
import type { AutorisationView, LiveAutorisation, MandateView } from './mandates.types.js';

/**
 * Reading mandates: the questions other modules ask (the provider's usager
 * picker, live checks, the usager's list) and the views of the pages. Every
 * status is derived from the database's time at the moment of the question.
 */
@Injectable()
export class MandatesService {
  constructor(private readonly structures: StructuresService) {}

  /** Live autorisations of a structure (optionally for some démarches or one usager). */
  findLiveAutorisations(
    manager: EntityManager,
    q: { structureId: string; demarches?: string[]; usagerId?: string },
  ): Promise<LiveAutorisation[]> {
    return repo.findLiveAutorisations(manager, q);
  }

  /** Is this autorisation (mandate + démarche) live right now (database time)? */
  isAutorisationLive(manager: EntityManager, q: { mandateId: string; demarche: string }): Promise<boolean> {
    if (!isDemarcheId(q.demarche)) return Promise.resolve(false);
    return repo.isAutorisationLive(manager, q.mandateId, q.demarche);
  }

  /** Every mandate of a usager, newest first, with their status now. */
  async listForUsager(manager: EntityManager, usagerId: string): Promise<MandateView[]> {
    return this.viewsOf(manager, await repo.mandatesOfUsager(manager, usagerId));
  }

  /** One mandate if it belongs to this structure (locked against revocation with `lock`); otherwise the same not-found error as a missing one. */
  async getForStructure(manager: EntityManager, structureId: string, mandateId: string, options: { lock?: boolean } = {}): Promise<MandateView> {
    const mandate = await repo.findMandate(manager, mandateId, options);
    if (!mandate || mandate.structureId !== structureId) throw mandateNotFound(`mandate not in structure`);
    return (await this.viewsOf(manager, [mandate]))[0]!;
  }

  /** One mandate if it is the usager's own. */
  async getForUsager(manager: EntityManager, usagerId: string, mandateId: string): Promise<MandateView> {
    const mandate = await repo.findMandate(manager, mandateId);
    if (!mandate || mandate.usagerId !== usagerId) {
      throw mandateNotFound('mandate of another usager');
    }
    return (await this.viewsOf(manager, [mandate]))[0]!;
  }

  /** Any mandate by id (attestation verification), or null. */
  async findById(manager: EntityManager, mandateId: string): Promise<MandateView | null> {
    const mandate = await repo.findMandate(manager, mandateId);
    return mandate ? (await this.viewsOf(manager, [mandate]))[0]! : null;
  }

  /** The structure's live mandates, optionally of some usagers only. */
  async liveOfStructure(manager: EntityManager, structureId: string, usagerIds?: string[]): Promise<MandateView[]> {
    return this.viewsOf(manager, await repo.liveMandatesOfStructure(manager, structureId, usagerIds));
  }

  async endedOfStructure(manager: EntityManager, structureId: string): Promise<MandateView[]> {
    return this.viewsOf(manager, await repo.endedMandatesOfStructure(manager, structureId));
  }

  async expiringSoon(manager: EntityManager, structureId: string, days = 30): Promise<MandateView[]> {
    return this.viewsOf(manager, await repo.expiringSoon(manager, structureId, days));
  }

  /** One page of the structure's live mandates, soonest end first. */
  async livePage(manager: EntityManager, structureId: string, page: { offset: number; limit: number }): Promise<MandateView[]> {
    return this.viewsOf(manager, await repo.liveMandatesPage(manager, structureId, page));
  }

  /** One page of the structure's ended mandates, latest end first. */
  async endedPage(manager: EntityManager, structureId: string, page: { offset: number; limit: number }): Promise<MandateView[]> {
    return this.viewsOf(manager, await repo.endedMandatesPage(manager, structureId, page));
  }

  /** How many mandates of the structure are live, and how many of them end within `days`. */
  countLive(manager: EntityManager, structureId: string, days: number): Promise<{ live: number; expiringSoon: number }> {
    return repo.countLive(manager, structureId, days);
  }

  /** How many mandates of the structure have ended (revoked or expired). */
  countEnded(manager: EntityManager, structureId: string): Promise<number> {
    return repo.countEnded(manager, structureId);
  }

  /** The structure's mandates of some usagers (or of those born on a day), live first; `limit` at most. */
  async found(manager: EntityManager, structureId: string, who: { usagerIds: string[] } | { bornOn: string }, limit: number): Promise<MandateView[]> {
    return this.viewsOf(manager, await repo.mandatesFound(manager, structureId, who, limit));
  }

  /** Counts for a dashboard: running mandates (at most `cap`) and those ending within `days`. */
  countRunning(manager: EntityManager, structureId: string, q: { cap: number; days: number }): Promise<{ live: number; expiringSoon: number }> {
    return repo.countRunning(manager, structureId, q);
  }

  async viewsOf(manager: EntityManager, mandates: Mandate[]): Promise<MandateView[]> {
    if (mandates.length === 0) return [];
    const now = await repo.databaseNow(manager);
    const autorisations = await repo.autorisationsOf(manager, mandates.map((m) => m.id));
    const structures = new Map<string, StructureView>();
    for (const id of new Set(mandates.map((m) => m.structureId))) {
      structures.set(id, await this.structures.getById(manager, id));
    }
    // Grouped once: a dashboard builds hundreds of views, each needs its own autorisations.
    const byMandate = new Map<string, Autorisation[]>();
    for (const a of autorisations) {
      const list = byMandate.get(a.mandateId);
      if (list) list.push(a);
      else byMandate.set(a.mandateId, [a]);
    }
    return mandates.map((m) => toMandateView(m, byMandate.get(m.id) ?? [], structures.get(m.structureId)!, now));
  }
}

export function toMandateView(m: Mandate, autorisations: Autorisation[], structure: StructureView, now: Date): MandateView {
  const rank = (d: string) => (DEMARCHE_IDS as readonly string[]).indexOf(d);
  const sorted = [...autorisations].sort((x, y) => rank(x.demarche) - rank(y.demarche));
  const autorisationViews: AutorisationView[] = sorted.map((a) => ({
    id: a.id,
    demarche: a.demarche,
    label: isDemarcheId(a.demarche) ? demarcheLabel(a.demarche) : a.demarche,
    status: statusOf({ expiresAt: m.expiresAt, revokedAt: a.revokedAt ?? m.revokedAt }, now),
    revokedAt: a.revokedAt,
    closingReason: a.revocationReason,
  }));
  let status = statusOf(m, now);
  // Every autorisation revoked or replaced one by one: the mandate no longer allows anything.
  if (status === 'live' && !autorisationViews.some((a) => a.status === 'live')) status = 'revoked';
  const live = autorisationViews.filter((a) => a.status === 'live').map((a) => a.demarche);
  return {
    id: m.id,
    structureId: m.structureId,
    structureName: structure.name,
    structureSiret: structure.siret,
    usagerId: m.usagerId,
    openedBy: m.openedBy,
    duration: m.duration,
    durationLabel: DURATIONS[m.duration].label,
    createdAt: m.createdAt,
    expiresAt: m.expiresAt,
    status,
    statusLabel: STATUS_LABELS[status],
    revokedAt: m.revokedAt,
    revokedByType: m.revokedByType,
    consentId: m.consentId,
    renewedFrom: m.renewedFrom,
    autorisations: autorisationViews,
    liveDemarches: status === 'live' ? live : autorisationViews.map((a) => a.demarche),
  };
}
