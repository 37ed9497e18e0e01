import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { JournalService } from '../../src/journal/journal.service.js';
import { JournalWitnessSender } from '../../src/journal/witnesses/witness-sender.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { appendOne } from './journal-helpers.js';

describe('journal: the local witness of development', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ NODE_ENV: 'development', DEMO_SEED: 'false' });
  });
  afterAll(() => testApp.close());

  it('starts beside the service without configuration and cosigns the journal’s checkpoints', async () => {
    const chain = randomUUID();
    const journal = testApp.app.get(JournalService);
    for (let i = 0; i < 3; i++) await appendOne(testApp.app.get(TransactionRunner), journal, chain);
    const [checkpoint] = (await journal.checkpoint([chain])) as { seq: number }[];
    const sender = testApp.app.get(JournalWitnessSender);
    const outcomes = (await sender.sendDue({ ignoreBackoff: true })).filter((o) => o.chain === chain);
    expect(outcomes).toEqual([{ witness: 'temoin-local.procuration.localhost', chain, seq: checkpoint!.seq, result: 'cosigned', oldSize: 0 }]);
    const [status] = await sender.statusOf(chain);
    expect(status).toMatchObject({ name: 'temoin-local.procuration.localhost', cosigned: { seq: checkpoint!.seq }, lastError: null });
  });
});
