import type { EntityManager } from 'typeorm';

/** A live autorisation (one démarche of a live mandate), as the mandates module reports it. */
export interface LiveAutorisation {
  autorisationId: string;
  mandateId: string;
  usagerId: string;
  demarche: string;
  expiresAt: Date;
}

/** The usager's identity as the usagers module keeps it. */
export interface UsagerIdentity {
  id: string;
  givenName: string;
  familyName: string;
  preferredUsername: string | null;
  birthdate: string;
  gender: 'male' | 'female';
  birthplace: string;
  birthcountry: string;
  email: string | null;
}

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
  abstract findUsagers(manager: EntityManager, ids: string[]): Promise<UsagerIdentity[]>;
}
