import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module.js';
import { StructuresModule } from '../structures/structures.module.js';
import { AttestationsService } from './attestations.service.js';
import { Autorisation } from './autorisation.entity.js';
import { MandateConsent } from './mandate-consent.entity.js';
import { MandateExpiryJob } from './mandate-expiry.job.js';
import { MandateOpeningService } from './mandate-opening.service.js';
import { MandateRevocationService } from './mandate-revocation.service.js';
import { Mandate } from './mandate.entity.js';
import { MandatesService } from './mandates.service.js';

/** Mandates, autorisations, consent evidence, attestations, revocation and expiry. */
@Module({
  imports: [TypeOrmModule.forFeature([Mandate, Autorisation, MandateConsent]), StructuresModule, KeysModule],
  providers: [MandatesService, MandateOpeningService, MandateRevocationService, AttestationsService, MandateExpiryJob],
  exports: [MandatesService, MandateRevocationService],
})
export class MandatesModule {}
