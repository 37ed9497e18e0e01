import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { attestationsRepository as repo } from './attestations.repository.js';
import { AttestationsService, type VerifiedAttestation } from './attestations.service.js';
import { AttestationThrottledError } from './mandates.errors.js';

const PARIS_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * Public, anonymous verification of attestations (the QR code's link or a
 * pasted signature). Anyone may ask, so each client address gets a few per
 * minute (ATTESTATION_VERIFICATIONS_PER_MINUTE), counted in the database so
 * that every instance shares the count; and the journal records the first
 * verification of each attestation per day, not each request, so visitors
 * cannot fill it.
 */
@Injectable()
export class AttestationVerificationsService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly attestations: AttestationsService,
    private readonly journal: JournalService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async verify(query: { id: string } | { jws: string }, request: RequestFacts): Promise<VerifiedAttestation> {
    await this.throttle(request);
    return this.transactions.run(async (m) => {
      const result = 'id' in query ? await this.attestations.verifyById(m, query.id) : await this.attestations.verify(m, query.jws);
      if (await repo.firstVerificationOn(m, result.attestationId, PARIS_DAY.format(this.clock.now()))) {
        await this.journal.append(m, {
          action: 'attestation.verified',
          structureId: result.structureId,
          actor: { type: 'system', id: null },
          subjects: { mandateId: result.mandateId },
          request,
          details: { kind: result.claims.kind, kid: result.kid, status: result.status, attestationId: result.attestationId },
        });
      }
      return result;
    });
  }

  /** Counts the request in its own transaction first: refused or failed verifications count too. */
  private async throttle(request: RequestFacts): Promise<void> {
    const now = this.clock.nowMs();
    const minute = new Date(now - (now % 60_000));
    const address = createHash('sha256').update(request.ip ?? 'unknown', 'utf8').digest('hex');
    const count = await this.transactions.run((m) => repo.countVerification(m, address, minute));
    const limit = this.config.attestations.verificationsPerMinute;
    if (count > limit) {
      throw new AttestationThrottledError(
        'Vous avez demandé beaucoup de vérifications d’attestation en peu de temps depuis cette adresse. Patientez une minute, puis réessayez.',
        `attestation verifications over ${limit} per minute from one address`,
        { retryAfterSeconds: Math.ceil((minute.getTime() + 60_000 - now) / 1000) || 1 },
      );
    }
  }
}
