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
    // The sender also runs on its own timer in development: it may have sent
    // this checkpoint first, and then there is nothing left for this call.
    expect(outcomes.length).toBeLessThanOrEqual(1);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({ witness: 'temoin-local.procuration.localhost', chain, seq: checkpoint!.seq, result: 'cosigned', oldSize: 0 });
    }
    const deadline = Date.now() + 20_000;
    let [status] = await sender.statusOf(chain);
    while (status?.cosigned?.seq !== checkpoint!.seq && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      [status] = await sender.statusOf(chain);
    }
    expect(status).toMatchObject({ name: 'temoin-local.procuration.localhost', cosigned: { seq: checkpoint!.seq }, lastError: null });
  });
});
