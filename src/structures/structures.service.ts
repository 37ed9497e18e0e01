import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { DEMARCHE_IDS, isDemarcheId, type DemarcheId } from '../demarches/demarches.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import type { Actor } from './actor.js';
import { isValidSiret, normaliseSiret } from './siret.js';
import { STRUCTURE_TYPES, Structure, type StructureType } from './structure.entity.js';
import { SiretTakenError } from './structures.errors.js';

export interface NewStructure {
  name: string;
  siret: string;
  type: string;
  address: string;
  allowedDemarches?: readonly string[];
}

/** What other modules see of a structure. */
export interface StructureView {
  id: string;
  name: string;
  siret: string;
  type: StructureType;
  typeLabel: string;
  address: string;
  active: boolean;
  allowedDemarches: DemarcheId[];
}

export function toStructureView(s: Structure): StructureView {
  return {
    id: s.id,
    name: s.name,
    siret: s.siret,
    type: s.type,
    typeLabel: STRUCTURE_TYPES[s.type],
    address: s.address,
    active: s.active,
    allowedDemarches: DEMARCHE_IDS.filter((id) => s.allowedDemarches.includes(id)),
  };
}

/** Structures: creation (operator), lookup, démarches restriction (référent). */
@Injectable()
export class StructuresService {
  constructor(private readonly journal: JournalService) {}

  async create(manager: EntityManager, input: NewStructure, actor: Actor, request?: RequestFacts) {
    const fields: Record<string, string> = {};
    const name = input.name.trim();
    const siret = normaliseSiret(input.siret);
    const address = input.address.trim();
    if (name.length < 1 || name.length > 200) fields.name = 'Le nom doit contenir entre 1 et 200 caractères.';
    if (!isValidSiret(siret)) fields.siret = 'Le SIRET doit contenir 14 chiffres et être valide (clé de Luhn).';
    if (!(input.type in STRUCTURE_TYPES)) fields.type = `Le type doit être l’un de : ${Object.keys(STRUCTURE_TYPES).join(', ')}.`;
    if (address.length > 500) fields.address = 'L’adresse doit contenir au plus 500 caractères.';
    const demarches = input.allowedDemarches ?? DEMARCHE_IDS;
    if (demarches.length === 0 || !demarches.every(isDemarcheId)) {
      fields.demarches = 'Choisissez au moins une démarche du catalogue.';
    }
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    if (await manager.existsBy(Structure, { siret })) {
      throw new SiretTakenError(`Une structure avec le SIRET ${siret} existe déjà.`, 'structure siret already registered');
    }
    const structure = await manager.save(
      manager.create(Structure, {
        name,
        siret,
        type: input.type as StructureType,
        address,
        active: true,
        allowedDemarches: DEMARCHE_IDS.filter((id) => demarches.includes(id)),
      }),
    );
    await this.journal.append(manager, {
      action: 'structure.created',
      structureId: structure.id,
      actor,
      request,
      details: { name, siret, type: structure.type, allowedDemarches: structure.allowedDemarches },
    });
    return toStructureView(structure);
  }

  async findById(manager: EntityManager, id: string): Promise<StructureView | null> {
    if (!isUuid(id)) return null;
    const structure = await manager.findOneBy(Structure, { id });
    return structure ? toStructureView(structure) : null;
  }

  /** Several structures in one statement (those that exist, in no particular order). */
  async findByIds(manager: EntityManager, ids: readonly string[]): Promise<StructureView[]> {
    const valid = [...new Set(ids.filter(isUuid))];
    if (valid.length === 0) return [];
    return (await manager.findBy(Structure, { id: In(valid) })).map(toStructureView);
  }

  async findBySiret(manager: EntityManager, siret: string): Promise<StructureView | null> {
    const structure = await manager.findOneBy(Structure, { siret: normaliseSiret(siret) });
    return structure ? toStructureView(structure) : null;
  }

  async getById(manager: EntityManager, id: string): Promise<StructureView> {
    const structure = await this.findById(manager, id);
    if (!structure) throw new NotFoundError('Cette structure n’existe pas.', `structure ${id} not found`);
    return structure;
  }

  /** Operator: opens or closes a structure; the aidants of a closed one cannot sign in or act. */
  async setActive(manager: EntityManager, structureId: string, active: boolean, actor: Actor): Promise<StructureView> {
    const before = await this.getById(manager, structureId);
    if (before.active === active) return before;
    await manager.update(Structure, { id: structureId }, { active });
    await this.journal.append(manager, {
      action: 'structure.status_changed',
      structureId,
      actor,
      details: { active },
    });
    return { ...before, active };
  }

  /** Restricts (or widens back) the démarches of a structure; the caller checked access. */
  async restrictDemarches(
    manager: EntityManager,
    structureId: string,
    demarches: readonly string[],
    actor: Actor,
    request?: RequestFacts,
  ): Promise<StructureView> {
    if (demarches.length === 0 || !demarches.every(isDemarcheId)) {
      throw new ValidationError({ demarches: 'Choisissez au moins une démarche du catalogue.' });
    }
    const before = await this.getById(manager, structureId);
    const allowed = DEMARCHE_IDS.filter((id) => demarches.includes(id));
    await manager.update(Structure, { id: structureId }, { allowedDemarches: allowed });
    await this.journal.append(manager, {
      action: 'structure.demarches_restricted',
      structureId,
      actor,
      request,
      details: { before: before.allowedDemarches, after: allowed },
    });
    return { ...before, allowedDemarches: allowed };
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
