import { Global, Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { JournalCheckpoints } from './journal.checkpoints.js';
import { JournalSealer } from './journal.sealer.js';
import { JournalService } from './journal.service.js';

/** The append-only, hash-chained journal; global so every module can append. */
@Global()
@Module({
  imports: [KeysModule],
  providers: [JournalService, JournalSealer, JournalCheckpoints],
  exports: [JournalService],
})
export class JournalModule {}
