import type { INestApplicationContext } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AidantsService } from '../aidants/aidants.service.js';
import type { Role } from '../aidants/roles.js';
import { hashPassword } from '../aidants/password-hasher.js';
import { TotpDevicesService } from '../aidants/totp-devices.service.js';
import type { Actor } from '../structures/actor.js';
import { StructuresService, type NewStructure, type StructureView } from '../structures/structures.service.js';

export interface KnownAccount {
  email: string;
  givenName: string;
  familyName: string;
  profession?: string;
  password: string;
  /** Base32 seed of an authenticator app (30 s). */
  totpSecret: string;
  memberships: { structureId: string; roles: Role[] }[];
}

/**
 * Creates (when missing) a structure and habilitated, activated accounts with
 * known credentials, through the services (so every change is journaled).
 * For the demo seed and tests only; idempotent.
 */
export class KnownAccounts {
  private readonly structures: StructuresService;
  private readonly aidants: AidantsService;
  private readonly devices: TotpDevicesService;

  constructor(app: INestApplicationContext, private readonly actor: Actor = { type: 'system', id: null }) {
    this.structures = app.get(StructuresService);
    this.aidants = app.get(AidantsService);
    this.devices = app.get(TotpDevicesService);
  }

  async structure(manager: EntityManager, input: NewStructure): Promise<{ structure: StructureView; created: boolean }> {
    const existing = await this.structures.findBySiret(manager, input.siret);
    if (existing) return { structure: existing, created: false };
    return { structure: await this.structures.create(manager, input, this.actor), created: true };
  }

  async aidant(manager: EntityManager, account: KnownAccount): Promise<{ id: string; created: boolean }> {
    const existing = await this.aidants.findByEmail(manager, account.email);
    if (existing) return { id: existing.id, created: false };
    const aidant = await this.aidants.create(manager, account, this.actor);
    for (const m of account.memberships) await this.aidants.addMembership(manager, aidant.id, m.structureId, m.roles);
    await this.aidants.setPassword(manager, aidant.id, await hashPassword(account.password));
    await this.devices.enrolKnownSecret(manager, aidant.id, account.totpSecret);
    await this.aidants.changeHabilitation(manager, aidant.id, 'habilitated', this.actor);
    return { id: aidant.id, created: true };
  }
}
