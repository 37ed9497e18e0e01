import { Global, Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { JournalCheckpoints } from './checkpoints/checkpoint-signer.js';
import { JournalExport } from './export/chain-export.js';
import { JournalSealer } from './sealing/sealer.js';
import { JournalQueries } from './reading/journal-queries.js';
import { JournalService } from './journal.service.js';
import { JournalVerification } from './verification/database-verification.js';

/** The append-only, hash-chained journal; global so every module can append. */
@Global()
@Module({
  imports: [KeysModule],
  providers: [JournalService, JournalQueries, JournalSealer, JournalCheckpoints, JournalVerification, JournalExport],
  exports: [JournalService, JournalQueries],
})
export class JournalModule {}
