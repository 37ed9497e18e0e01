import { Global, Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { JournalCheckpoints } from './journal.checkpoints.js';
import { JournalExport } from './journal.export.js';
import { JournalSealer } from './journal.sealer.js';
import { JournalQueries } from './journal.queries.js';
import { JournalService } from './journal.service.js';
import { JournalVerification } from './journal.verification.js';

/** The append-only, hash-chained journal; global so every module can append. */
@Global()
@Module({
  imports: [KeysModule],
  providers: [JournalService, JournalQueries, JournalSealer, JournalCheckpoints, JournalVerification, JournalExport],
  exports: [JournalService, JournalQueries],
})
export class JournalModule {}
