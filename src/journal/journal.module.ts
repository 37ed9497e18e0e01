// Placeholder of the journal's contract until branch `journal` is merged (taken from theirs on merge).
import { Global, Module } from '@nestjs/common';
import { JournalService } from './journal.service.js';

@Global()
@Module({ providers: [JournalService], exports: [JournalService] })
export class JournalModule {}
