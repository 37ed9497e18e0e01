import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { KeysService } from '../keys/keys.service.js';
import { JournalCheckpoints } from './checkpoints/checkpoint-signer.js';
import { JournalExport } from './export/chain-export.js';
import { JournalSealer } from './sealing/sealer.js';
import { JournalService } from './journal.service.js';
import { JournalVerification } from './verification/database-verification.js';

export interface JournalParts {
  journal: JournalService;
  keys: KeysService;
  sealer: JournalSealer;
  transactions: TransactionRunner;
}

/**
 * The journal without the Nest container, for the command-line tools and the
 * benchmark (the same classes the service injects). The sealer is not
 * started: call `sealer.start()` to run its loop, or `journal.flush()`.
 */
export function createJournal(dataSource: DataSource, config: AppConfig): JournalParts {
  const keys = new KeysService(dataSource, config);
  const sealer = new JournalSealer(dataSource, new JournalCheckpoints(keys, config), config);
  const transactions = new TransactionRunner(dataSource);
  const journal = new JournalService(sealer, new JournalVerification(dataSource, keys, config), new JournalExport(dataSource), transactions, dataSource);
  return { journal, keys, sealer, transactions };
}
