import { Global, Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { JournalCheckpoints } from './checkpoints/checkpoint-signer.js';
import { JournalExport } from './export/chain-export.js';
import { JournalSealer } from './sealing/sealer.js';
import { JournalQueries } from './reading/journal-queries.js';
import { JournalService } from './journal.service.js';
import { JournalVerification } from './verification/database-verification.js';
import { JournalProofs } from './proofs/journal-proofs.service.js';
import { JournalProofsController } from './proofs/journal-proofs.controller.js';
import { JournalWitnessSender } from './witnesses/witness-sender.js';

/** The append-only, hash-chained journal; global so every module can append. */
@Global()
@Module({
  imports: [KeysModule],
  controllers: [JournalProofsController],
  providers: [JournalService, JournalQueries, JournalSealer, JournalCheckpoints, JournalVerification, JournalExport, JournalProofs, JournalWitnessSender],
  exports: [JournalService, JournalQueries, JournalProofs, JournalWitnessSender],
})
export class JournalModule {}
