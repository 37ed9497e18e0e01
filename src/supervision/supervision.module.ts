import { Module } from '@nestjs/common';
import { AidantsModule } from '../aidants/aidants.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { MandatesModule } from '../mandates/mandates.module.js';
import { PartnersModule } from '../partners/partners.module.js';
import { UsagersModule } from '../usagers/usagers.module.js';
import { StructuresModule } from '../structures/structures.module.js';
import { ChainVerificationService } from './chain-verification.service.js';
import { DashboardService } from './dashboard.service.js';
import { EntryNamesService } from './entry-names.js';
import { JournalExportService } from './journal-export.service.js';
import { SupervisionController } from './supervision.controller.js';
import { SupervisionJournalService } from './supervision-journal.service.js';
import { UsagerJournalController } from './usager-journal.controller.js';
import { UsagerJournalService } from './usager-journal.service.js';

/**
 * Supervision (docs/supervision.md): the référent's dashboard, journal
 * search, exports and verification of the structure's chain, and the
 * usager's view of the entries about them.
 */
@Module({
  imports: [AidantsModule, KeysModule, StructuresModule, MandatesModule, PartnersModule, UsagersModule],
  controllers: [SupervisionController, UsagerJournalController],
  providers: [UsagerJournalService, EntryNamesService, SupervisionJournalService, JournalExportService, ChainVerificationService, DashboardService],
})
export class SupervisionModule {}
