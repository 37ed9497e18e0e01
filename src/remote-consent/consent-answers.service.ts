import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AidantsService } from '../aidants/aidants.service.js';
import type { AppConfig } from '../../config/config.js';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { demarcheLabel } from '../demarches/demarches.js';
import { FranceConnectFlowService } from '../franceconnect/franceconnect-flow.service.js';
import type { VerifiedIdentity } from '../franceconnect/franceconnect.types.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { MandateOpeningService } from '../mandates/mandate-opening.service.js';
import { DURATIONS, expiryOf } from '../mandates/mandate-status.js';
import type { BrowserSession } from '../sessions/browser-session.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { StructuresService } from '../structures/structures.service.js';
import { UsagersService } from '../usagers/usagers.service.js';
import { frenchDateTime } from '../web/french/index.js';
import { codeThrottleKey, reserveCodeAttempt, settleRightCode } from './code-throttle.js';
import { lockUsable, noStep, progressOf, RECAP_PATH, refusalOf, RESULT_PATH, unusable } from './consent-answer-steps.js';
import { sha256Hex } from '../shared/digests.js';
import { codeDigest, isTokenShaped, normaliseCode, type ConsentRequest } from './consent-request.js';
import { consentRequestsRepository as repo } from './consent-requests.repository.js';
import type { RemoteConsentProgress } from './consent-session.js';
import { ConsentCodeThrottledError, ConsentStepError } from './remote-consent.errors.js';

/** How long a verified FranceConnect identity may wait for the usager's answer. */
const VERIFIED_LIFETIME_MS = 10 * 60 * 1000;

/**
 * The usager's side of remote consent, on their own device: open the
 * request by its link or its code (throttled), read the recap, identify with
 * FranceConnect, then consent or refuse. On consent the mandate is opened by
 * the mandates module's own path (MandateOpeningService.open), with remote
 * evidence. The FranceConnect return is ConsentFranceConnectHandler's. No TOTP is asked of the usager; nothing is written for an
 * unusable link or code but the refusal in the journal.
 */
@Injectable()
export class ConsentAnswersService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly flow: FranceConnectFlowService,
    private readonly opening: MandateOpeningService,
    private readonly usagers: UsagersService,
    private readonly aidants: AidantsService,
    private readonly structures: StructuresService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `/consentement/<token>`: the request of this link, remembered in the
   * session; the token leaves the address bar. Unknown links count against
   * the same per-address limit as wrong codes: each refusal is journaled,
   * and the journal (append-only) must not be an unlimited sink for guesses.
   */
  async openLink(session: BrowserSession, token: unknown, request: RequestFacts): Promise<string> {
    const now = this.clock.now();
    const row = await this.throttledLookup('link', request, now, (m) => (isTokenShaped(token) ? repo.findByTokenHash(m, sha256Hex(token)) : null));
    await this.refuseIfUnusable(row, 'link', request, now);
    return this.remember(session, row!);
  }

  /** `/consentement` (POST): the code read out on the phone, at most 10 wrong ones per address within 10 minutes. */
  async openCode(session: BrowserSession, typed: unknown, request: RequestFacts): Promise<string> {
    const now = this.clock.now();
    const code = normaliseCode(typed);
    // The plain SHA-256 finds the requests stored before codes were keyed (they end within 24 hours).
    const row = await this.throttledLookup('code', request, now, (m) =>
      code ? repo.findByCodeHash(m, [codeDigest(code, this.config.sessionSecret), sha256Hex(code)]) : null,
    );
    await this.refuseIfUnusable(row, 'code', request, now);
    return this.remember(session, row!);
  }

  /**
   * Counts the attempt before the lookup (code-throttle.ts); a link or code
   * that finds a request takes its count back. Past the limit: refused, the
   * lock journaled once, nothing looked up.
   */
  private async throttledLookup(
    via: 'link' | 'code',
    request: RequestFacts,
    now: Date,
    lookup: (m: EntityManager) => Promise<ConsentRequest | null> | null,
  ): Promise<ConsentRequest | null> {
    const outcome = await this.transactions.run(async (m) => {
      const reservation = await reserveCodeAttempt(m, codeThrottleKey(request.ip), now);
      if (!reservation.admitted) {
        if (reservation.lockStarted) {
          await this.journal.append(m, {
            action: 'consent_request.access_refused',
            structureId: null,
            actor: { type: 'usager', id: null },
            request,
            details: { via, reason: 'throttled', requestId: null, lockedUntil: reservation.lockedUntil!.toISOString() },
          });
        }
        return { throttled: true as const };
      }
      const row = await lookup(m);
      if (row) await settleRightCode(m, reservation);
      return { throttled: false as const, row };
    });
    if (!outcome.throttled) return outcome.row;
    throw new ConsentCodeThrottledError(
      via === 'code'
        ? 'Trop de codes erronés ont été saisis depuis votre connexion. Patientez un quart d’heure avant de réessayer, ou demandez un lien par courriel à l’aidant.'
        : 'Trop de liens ou de codes erronés ont été présentés depuis votre connexion. Patientez un quart d’heure avant de réessayer.',
      `too many wrong consent ${via}s from this address`,
    );
  }

  async recapPage(session: BrowserSession) {
    const progress = progressOf(session);
    const { row, structureName, aidantName } = await this.transactions.read(async (m) => {
      const found = await repo.findById(m, progress.requestId);
      const structure = found && (await this.structures.findById(m, found.structureId));
      const access = found && (await this.aidants.accessOf(m, found.aidantId));
      return { row: found, structureName: structure?.name ?? '', aidantName: access ? `${access.aidant.givenName} ${access.aidant.familyName}` : '' };
    });
    const refusal = refusalOf(row, this.clock.now());
    if (refusal) throw unusable(refusal);
    return {
      pageTitle: 'Demande de mandat',
      structureName,
      aidantName,
      chosen: row!.demarches.map(demarcheLabel),
      argent: row!.demarches.includes('argent'),
      durationLabel: DURATIONS[row!.duration].label,
      endLabel: frenchDateTime(expiryOf(this.clock.now(), row!.duration)),
      expiresLabel: frenchDateTime(row!.expiresAt),
      verified: !!progress.verified,
    };
  }

  /** Sends the usager's browser to FranceConnect for this request. */
  async startFranceConnect(session: BrowserSession, request: RequestFacts): Promise<string> {
    const progress = progressOf(session);
    const row = await this.transactions.read((m) => repo.findById(m, progress.requestId));
    const refusal = refusalOf(row, this.clock.now());
    if (refusal) throw unusable(refusal);
    return this.flow.start(session, request, { intent: 'remote_consent', payload: { requestId: row!.id }, structureId: row!.structureId });
  }

  decisionPage(session: BrowserSession) {
    const progress = progressOf(session);
    this.verifiedOf(progress);
    return this.recapPage(session);
  }

  /**
   * "Je donne mon accord": under the request's lock, the usager and the
   * mandate exactly as at the counter (same service path), the request
   * marked accepted, in one transaction. A second tab finds it answered.
   */
  async accept(session: BrowserSession, request: RequestFacts): Promise<string> {
    const progress = progressOf(session);
    const verified = this.verifiedOf(progress);
    const outcome = await this.transactions.run(async (m) => {
      const row = await lockUsable(m, progress.requestId, this.clock.now());
      const now = this.clock.now();
      if (!(await this.aidantCanAct(m, row))) {
        await repo.decide(m, row.id, { status: 'refused', at: now, refusalReason: 'aidant_unavailable' });
        await this.journal.append(m, {
          action: 'consent_request.refused',
          structureId: row.structureId,
          actor: { type: 'system', id: null },
          subjects: { aidantId: row.aidantId },
          request,
          details: { requestId: row.id, reason: 'aidant_unavailable' },
        });
        return 'aidant_unavailable' as const;
      }
      const usager = await this.usagers.upsertFromIdentity(m, { ...verified.identity, idToken: '' } as VerifiedIdentity, {
        actor: { type: 'usager', id: null },
        structureId: row.structureId,
        request,
      });
      const mandate = await this.opening.open(m, {
        aidantId: row.aidantId,
        structureId: row.structureId,
        usagerId: usager.id,
        choice: { demarches: row.demarches, duration: row.duration },
        consent: {
          kind: 'remote',
          acr: verified.identity.acr,
          authTime: verified.identity.authTime,
          idTokenHash: verified.identity.idTokenHash,
          consentRequestId: row.id,
          channel: row.channel,
          fcTransactionId: verified.fcTransactionId,
        },
        submissionId: randomUUID(),
        // The aidant's declaration and fresh TOTP were given when preparing the request.
        declaredAt: row.createdAt,
        totpConfirmedAt: row.totpConfirmedAt,
        request,
      });
      await repo.decide(m, row.id, { status: 'accepted', at: now, mandateId: mandate.id });
      await this.journal.append(m, {
        action: 'consent_request.accepted',
        structureId: row.structureId,
        actor: { type: 'usager', id: usager.id },
        subjects: { aidantId: row.aidantId, usagerId: usager.id, mandateId: mandate.id },
        request,
        details: { requestId: row.id, channel: row.channel, consentId: mandate.consentId, fcTransactionId: verified.fcTransactionId },
      });
      return 'accepted' as const;
    });
    return this.conclude(session, progress, outcome);
  }

  /** "Je refuse", before or after FranceConnect: the request ends, nothing else is written. */
  async refuse(session: BrowserSession, request: RequestFacts): Promise<string> {
    const progress = progressOf(session);
    await this.transactions.run(async (m) => {
      const row = await lockUsable(m, progress.requestId, this.clock.now());
      await repo.decide(m, row.id, { status: 'refused', at: this.clock.now(), refusalReason: 'usager' });
      await this.journal.append(m, {
        action: 'consent_request.refused',
        structureId: row.structureId,
        actor: { type: 'usager', id: null },
        subjects: { aidantId: row.aidantId },
        request,
        details: { requestId: row.id, reason: 'usager' },
      });
    });
    return this.conclude(session, progress, 'refused');
  }

  resultPage(session: BrowserSession) {
    const outcome = session.data.remoteConsent?.outcome;
    if (!outcome) throw noStep();
    return { pageTitle: 'Demande de mandat', outcome };
  }

  /** Only a habilitated aidant, still an unsuspended aidant of an active structure, may receive the mandate. */
  private async aidantCanAct(m: EntityManager, row: ConsentRequest): Promise<boolean> {
    const access = await this.aidants.accessOf(m, row.aidantId);
    const membership = access?.memberships.find((ms) => ms.structure.id === row.structureId);
    return (
      access?.aidant.habilitationStatus === 'habilitated' &&
      !!membership &&
      !membership.suspended &&
      membership.roles.includes('aidant') &&
      membership.structure.active
    );
  }

  private verifiedOf(progress: RemoteConsentProgress) {
    const verified = progress.verified;
    if (!verified || this.clock.nowMs() - verified.at > VERIFIED_LIFETIME_MS) {
      throw new ConsentStepError(
        'Identifiez-vous d’abord avec FranceConnect pour répondre à cette demande (l’identification est valable 10 minutes).',
        'answer without a verified FranceConnect identity',
      );
    }
    return verified;
  }

  private async refuseIfUnusable(row: ConsentRequest | null, via: 'link' | 'code', request: RequestFacts, now: Date): Promise<void> {
    const refusal = refusalOf(row, now);
    if (!refusal) return;
    await this.transactions.run((m) =>
      this.journal.append(m, {
        action: 'consent_request.access_refused',
        structureId: row?.structureId ?? null,
        actor: { type: 'usager', id: null },
        subjects: row ? { aidantId: row.aidantId } : undefined,
        request,
        details: { via, reason: refusal, requestId: row?.id ?? null },
      }),
    );
    throw unusable(refusal);
  }

  private async remember(session: BrowserSession, row: ConsentRequest): Promise<string> {
    session.data.remoteConsent = { requestId: row.id, openedAt: this.clock.nowMs() };
    await session.save();
    return RECAP_PATH;
  }

  private async conclude(session: BrowserSession, progress: RemoteConsentProgress, outcome: NonNullable<RemoteConsentProgress['outcome']>): Promise<string> {
    session.data.remoteConsent = { requestId: progress.requestId, openedAt: progress.openedAt, outcome };
    await session.save();
    return RESULT_PATH;
  }
}
