import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StructuresModule } from '../structures/structures.module.js';
import { Autorisation } from './autorisation.entity.js';
import { MandateConsent } from './mandate-consent.entity.js';
import { Mandate } from './mandate.entity.js';
import { MandateOpeningService } from './mandate-opening.service.js';
import { MandatesService } from './mandates.service.js';

/** Mandates, autorisations, consent evidence, attestations, revocation and expiry. */
@Module({
  imports: [TypeOrmModule.forFeature([Mandate, Autorisation, MandateConsent]), StructuresModule],
  providers: [MandatesService, MandateOpeningService],
  exports: [MandatesService],
})
export class MandatesModule {}
