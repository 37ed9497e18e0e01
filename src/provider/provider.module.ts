import { Module } from '@nestjs/common';
import { AidantsModule } from '../aidants/aidants.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { MandatesModule } from '../mandates/mandates.module.js';
import { PartnersModule } from '../partners/partners.module.js';
import { StructuresModule } from '../structures/structures.module.js';
import { UsagersModule } from '../usagers/usagers.module.js';
import { ProviderAccounts } from './provider.accounts.js';
import { ProviderCleanup } from './provider.cleanup.js';
import { ProviderDirectory } from './provider.directory.js';
import { ProviderDirectoryService } from './provider-directory.service.js';
import { ProviderInteractionsController } from './provider-interactions.controller.js';
import { ProviderInteractionsService } from './provider-interactions.service.js';
import { ProviderService } from './provider.service.js';
import { ProviderLogouts } from './provider-logouts.service.js';
import { ProviderSignOutController } from './provider-sign-out.controller.js';
import { ProviderSignOutService } from './provider-sign-out.service.js';

/**
 * The OpenID Connect provider face towards partner services: oidc-provider
 * (mounted under /oidc by the app factory) over our storage, and the
 * interaction pages where an aidant chooses the usager and the démarche.
 */
@Module({
  imports: [KeysModule, PartnersModule, AidantsModule, StructuresModule, MandatesModule, UsagersModule],
  controllers: [ProviderInteractionsController, ProviderSignOutController],
  providers: [
    ProviderService,
    ProviderAccounts,
    ProviderCleanup,
    ProviderInteractionsService,
    ProviderLogouts,
    ProviderSignOutService,
    { provide: ProviderDirectory, useClass: ProviderDirectoryService },
  ],
  exports: [ProviderService],
})
export class ProviderModule {}
