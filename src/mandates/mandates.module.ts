import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AidantsModule } from '../aidants/aidants.module.js';
import { FranceConnectModule } from '../franceconnect/franceconnect.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { StructuresModule } from '../structures/structures.module.js';
import { UsagersModule } from '../usagers/usagers.module.js';
import { AttestationVerificationsService } from './attestation-verifications.service.js';
import { AttestationsController } from './attestations.controller.js';
import { AttestationsService } from './attestations.service.js';
import { Autorisation } from './autorisation.entity.js';
import { MandateConsent } from './mandate-consent.entity.js';
import { MandateExpiryJob } from './mandate-expiry.job.js';
import { MandateOpeningService } from './mandate-opening.service.js';
import { MandatePagesService } from './mandate-pages.service.js';
import { MandateRevocationService } from './mandate-revocation.service.js';
import { MandateWizardService } from './mandate-wizard.service.js';
import { Mandate } from './mandate.entity.js';
import { MandatesController } from './mandates.controller.js';
import { MandatesService } from './mandates.service.js';
import { RevocationConfirmationsService } from './revocation-confirmations.service.js';
import { UsagerMandatesController } from './usager-mandates.controller.js';
import { UsagerSpaceController } from './usager-space.controller.js';

/** Mandates, autorisations, consent evidence, attestations, revocation and expiry. */
@Module({
  imports: [
    TypeOrmModule.forFeature([Mandate, Autorisation, MandateConsent]),
    StructuresModule,
    AidantsModule,
    KeysModule,
    UsagersModule,
    FranceConnectModule,
  ],
  controllers: [MandatesController, AttestationsController, UsagerSpaceController, UsagerMandatesController],
  providers: [
    MandatesService,
    MandateOpeningService,
    MandateRevocationService,
    AttestationsService,
    AttestationVerificationsService,
    MandateWizardService,
    MandatePagesService,
    RevocationConfirmationsService,
    MandateExpiryJob,
  ],
  exports: [MandatesService, MandateRevocationService, MandatePagesService, MandateWizardService, MandateOpeningService],
})
export class MandatesModule {}
