import type { EntityManager } from 'typeorm';
import type { LiveAutorisation } from '../mandates/mandates.types.js';
import type { UsagerView } from '../usagers/usagers.types.js';

/**
 * What the provider face needs from the mandates and usagers modules, in
 * one place: the live autorisations a structure may use, whether one is
 * still live right now, and the usagers' identities.
 */
export abstract class ProviderDirectory {
  abstract findLiveAutorisations(
    manager: EntityManager,
    q: { structureId: string; demarches?: string[]; usagerId?: string },
  ): Promise<LiveAutorisation[]>;
  abstract isAutorisationLive(manager: EntityManager, q: { mandateId: string; demarche: string }): Promise<boolean>;
  abstract findUsagers(manager: EntityManager, ids: string[]): Promise<UsagerView[]>;
}
