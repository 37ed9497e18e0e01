import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MandatesService } from '../mandates/mandates.service.js';
import type { LiveAutorisation } from '../mandates/mandates.types.js';
import { UsagersService } from '../usagers/usagers.service.js';
import type { UsagerView } from '../usagers/usagers.types.js';
import { ProviderDirectory } from './provider.directory.js';

/** The provider's directory over the mandates and usagers modules' exported services. */
@Injectable()
export class ProviderDirectoryService extends ProviderDirectory {
  constructor(
    private readonly mandates: MandatesService,
    private readonly usagers: UsagersService,
  ) {
    super();
  }

  findLiveAutorisations(m: EntityManager, q: { structureId: string; demarches?: string[]; usagerId?: string }): Promise<LiveAutorisation[]> {
    return this.mandates.findLiveAutorisations(m, q);
  }

  isAutorisationLive(m: EntityManager, q: { mandateId: string; demarche: string }): Promise<boolean> {
    return this.mandates.isAutorisationLive(m, q);
  }

  findUsagers(m: EntityManager, ids: string[]): Promise<UsagerView[]> {
    return this.usagers.findByIds(m, ids);
  }
}
