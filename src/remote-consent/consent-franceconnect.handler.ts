import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { FranceConnectFlowService } from '../franceconnect/franceconnect-flow.service.js';
import type { VerifiedIdentity } from '../franceconnect/franceconnect.types.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import type { BrowserSession } from '../sessions/browser-session.js';
import { DECISION_PATH, lockUsable, noStep, RECAP_PATH, RESULT_PATH } from './consent-answer-steps.js';
import { mismatchedFields } from './consent-request.js';
import { consentRequestsRepository as repo } from './consent-requests.repository.js';

/**
 * The FranceConnect round trip of remote consent: the flow service calls
 * back here with the verified identity, which is checked against the one the
 * aidant expected before the usager may answer (ConsentAnswersService). The
 * usager's own FranceConnect session is left open: they are on their own
 * device, not at a shared counter.
 */
@Injectable()
export class ConsentFranceConnectHandler implements OnModuleInit {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly flow: FranceConnectFlowService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.flow.registerIntentHandler('remote_consent', (input) => this.afterFranceConnect(input), { endFranceConnectSession: false, retryPath: RECAP_PATH });
  }

  /**
   * FranceConnect's identity for this request: compared with the one the
   * aidant expected (folded). A mismatch ends the request at once, told to
   * both sides without the identity returned.
   */
  private async afterFranceConnect(input: {
    session: BrowserSession;
    request: RequestFacts;
    identity: VerifiedIdentity;
    payload: Record<string, unknown>;
    transactionId: string;
  }): Promise<string> {
    const progress = input.session.data.remoteConsent;
    if (!progress || progress.requestId !== input.payload.requestId) throw noStep();
    const mismatch = await this.transactions.run(async (m) => {
      const row = await lockUsable(m, progress.requestId, this.clock.now());
      const fields = mismatchedFields(row, input.identity);
      if (fields.length === 0) return false;
      await repo.decide(m, row.id, { status: 'identity_mismatch', at: this.clock.now() });
      await this.journal.append(m, {
        action: 'consent_request.identity_mismatch',
        structureId: row.structureId,
        actor: { type: 'usager', id: null },
        subjects: { aidantId: row.aidantId },
        request: input.request,
        details: { requestId: row.id, fcTransactionId: input.transactionId, fields },
      });
      return true;
    });
    if (mismatch) {
      input.session.data.remoteConsent = { requestId: progress.requestId, openedAt: progress.openedAt, outcome: 'identity_mismatch' };
      return RESULT_PATH;
    }
    const { idToken: _idToken, ...kept } = input.identity;
    input.session.data.remoteConsent = { ...progress, verified: { identity: kept, fcTransactionId: input.transactionId, at: this.clock.nowMs() } };
    return DECISION_PATH;
  }
}
