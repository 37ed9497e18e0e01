import { Module } from '@nestjs/common';
import { AidantsModule } from '../aidants/aidants.module.js';
import { FranceConnectModule } from '../franceconnect/franceconnect.module.js';
import { MandatesModule } from '../mandates/mandates.module.js';
import { StructuresModule } from '../structures/structures.module.js';
import { UsagersModule } from '../usagers/usagers.module.js';
import { ConsentAnswersService } from './consent-answers.service.js';
import { ConsentFranceConnectHandler } from './consent-franceconnect.handler.js';
import { ConsentExpiryJob } from './consent-expiry.job.js';
import { ConsentRequestsController } from './consent-requests.controller.js';
import { ConsentRequestsService } from './consent-requests.service.js';
import { ConsentementController } from './consentement.controller.js';

/**
 * Remote consent (docs/mandates.md, docs/decisions/0506): the aidant prepares
 * a request from the wizard's choice; the usager answers on their own device
 * through FranceConnect; the mandate is opened by the mandates module's own
 * path. Mandates does not know this module (its wizard page only links here).
 */
@Module({
  imports: [AidantsModule, FranceConnectModule, MandatesModule, StructuresModule, UsagersModule],
  controllers: [ConsentRequestsController, ConsentementController],
  providers: [ConsentRequestsService, ConsentAnswersService, ConsentFranceConnectHandler, ConsentExpiryJob],
})
export class RemoteConsentModule {}
