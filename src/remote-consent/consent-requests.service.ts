import { Inject, Injectable, Logger } from '@nestjs/common';
import { QueryFailedError, type EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { AidantAuthService } from '../aidants/aidant-auth.service.js';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { demarcheLabel } from '../demarches/demarches.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { Mailer } from '../mail/mailer.js';
import { DURATIONS } from '../mandates/mandate-status.js';
import { MandateWizardService } from '../mandates/mandate-wizard.service.js';
import type { MandateWizardState } from '../mandates/wizard-state.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../shared/domain-error.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { foldName } from '../usagers/name-fold.js';
import { FormInput } from '../web/form-input.js';
import { addressHash, sha256Hex } from '../shared/digests.js';
import { frenchDateTime } from '../web/french/index.js';
import {
  CONSENT_REQUEST_LIFETIME_MS,
  codeDigest,
  effectiveStatus,
  isoDate,
  newCode,
  newToken,
  spacedCode,
  type ConsentRequest,
  type ConsentRequestStatus,
} from './consent-request.js';
import { consentRequestsRepository as repo } from './consent-requests.repository.js';
import { consentMail } from './consent-mail.js';
import { ConsentRequestPendingError, ConsentRequestUnusableError } from './remote-consent.errors.js';

export const STATUS_LABELS: Record<ConsentRequestStatus, string> = {
  pending: 'En attente',
  accepted: 'Acceptée',
  refused: 'Refusée',
  expired: 'Expirée',
  cancelled: 'Annulée',
  identity_mismatch: 'L’identité ne correspond pas',
};

/** What the aidant typed: whom they expect, and how to reach them (an email, or nothing: a code read out). */
interface RequestForm {
  familyName: string;
  givenName: string;
  birthdate: string;
  email: string | null;
  totp: string;
}

/**
 * The aidant's side of remote consent: prepare a request from the wizard's
 * choice (fresh TOTP), send the link or show the code, list the requests,
 * cancel a pending one. The usager's side is ConsentAnswersService.
 */
@Injectable()
export class ConsentRequestsService {
  private readonly logger = new Logger('RemoteConsent');

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly auth: AidantAuthService,
    private readonly wizard: MandateWizardService,
    private readonly mailer: Mailer,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  formPage(state: MandateWizardState, actor: AidantActor) {
    const choice = this.wizard.remoteChoice(state, actor);
    return {
      pageTitle: 'Nouveau mandat : consentement à distance',
      chosen: choice.demarches.map(demarcheLabel),
      durationLabel: DURATIONS[choice.duration].label,
    };
  }

  /**
   * Creates the request (one transaction, journaled), then mails the link
   * when an address was given. Returns the request, the code to read out
   * (phone) and when the TOTP code was accepted.
   */
  async create(
    state: MandateWizardState,
    actor: AidantActor,
    body: unknown,
    request: RequestFacts,
  ): Promise<{ requestId: string; code: string | null; totpAt: number }> {
    const choice = this.wizard.remoteChoice(state, actor);
    const form = readRequestForm(body, this.clock.now());
    const totpAt = await this.auth.confirmFreshTotp(actor, form.totp, request);
    const now = this.clock.now();
    const token = form.email ? newToken() : null;
    const code = form.email ? null : newCode();
    const channel = form.email ? ('email' as const) : ('phone' as const);
    const event = { structureId: actor.structureId, actor: { type: 'aidant' as const, id: actor.aidantId }, subjects: { aidantId: actor.aidantId }, request };
    const created = await this.pendingOnce(() =>
      this.transactions.run(async (m) => {
        const familyFold = foldName(form.familyName);
        const givenFold = foldName(form.givenName);
        for (const lapsed of await repo.lockLapsedPending(m, { aidantId: actor.aidantId, familyFold, givenFold, birthdate: form.birthdate, now })) {
          await this.markExpired(m, lapsed, now);
        }
        const row = await repo.insert(m, {
          structureId: actor.structureId,
          aidantId: actor.aidantId,
          expectedFamilyName: form.familyName,
          expectedGivenName: form.givenName,
          expectedFamilyFold: familyFold,
          expectedGivenFold: givenFold,
          expectedBirthdate: form.birthdate,
          demarches: choice.demarches,
          duration: choice.duration,
          channel,
          tokenHash: token && sha256Hex(token),
          codeHash: code && codeDigest(code, this.config.sessionSecret),
          totpConfirmedAt: new Date(totpAt),
          createdAt: now,
          expiresAt: new Date(now.getTime() + CONSENT_REQUEST_LIFETIME_MS),
        });
        await this.journal.append(m, {
          ...event,
          action: 'consent_request.created',
          details: { requestId: row.id, channel, demarches: row.demarches, duration: row.duration, expiresAt: row.expiresAt.toISOString() },
        });
        if (channel === 'phone') {
          await this.journal.append(m, { ...event, action: 'consent_request.sent', details: { requestId: row.id, channel, delivery: 'shown' } });
        }
        return row;
      }),
    );
    if (form.email && token) {
      const delivery = await this.send(form.email, created, actor, token);
      await this.transactions.run((m) =>
        this.journal.append(m, {
          ...event,
          action: 'consent_request.sent',
          details: { requestId: created.id, channel, delivery, addressHash: addressHash(form.email!) },
        }),
      );
    }
    return { requestId: created.id, code, totpAt };
  }

  async list(actor: AidantActor) {
    requireOpener(actor);
    const now = this.clock.now();
    const rows = await this.transactions.read((m) => repo.listForAidant(m, actor.aidantId, actor.structureId, 200));
    return { pageTitle: 'Consentements à distance', requests: rows.map((r) => this.rowView(r, now)) };
  }

  async detail(actor: AidantActor, id: string, shownCode: string | null) {
    const row = await this.transactions.read((m) => this.ownRequest(m, actor, id));
    const view = this.rowView(row, this.clock.now());
    return {
      pageTitle: 'Demande de consentement à distance',
      request: view,
      code: view.status === 'pending' && shownCode ? spacedCode(shownCode) : null,
      consentUrl: `${this.config.publicUrl}/consentement`,
    };
  }

  async cancelPage(actor: AidantActor, id: string) {
    const row = await this.transactions.read((m) => this.ownRequest(m, actor, id));
    const view = this.rowView(row, this.clock.now());
    if (view.status !== 'pending') throw notPending();
    return { pageTitle: 'Annuler la demande de consentement', request: view };
  }

  /** Cancels a pending request (its lock taken: an answer landing at the same time wins or loses, never both). */
  async cancel(actor: AidantActor, id: string, request: RequestFacts): Promise<void> {
    await this.transactions.run(async (m) => {
      const row = await this.ownRequest(m, actor, id, true);
      const now = this.clock.now();
      if (effectiveStatus(row, now) !== 'pending') throw notPending();
      await repo.decide(m, row.id, { status: 'cancelled', at: now });
      await this.journal.append(m, {
        action: 'consent_request.cancelled',
        structureId: row.structureId,
        actor: { type: 'aidant', id: actor.aidantId },
        subjects: { aidantId: row.aidantId },
        request,
        details: { requestId: row.id },
      });
    });
  }

  /** Marks a pending request past its end as expired, journaled (the caller holds its lock). */
  async markExpired(m: EntityManager, row: ConsentRequest, now: Date): Promise<void> {
    if (!(await repo.decide(m, row.id, { status: 'expired', at: now }))) return;
    await this.journal.append(m, {
      action: 'consent_request.expired',
      structureId: row.structureId,
      actor: { type: 'system', id: null },
      subjects: { aidantId: row.aidantId },
      details: { requestId: row.id, expiresAt: row.expiresAt.toISOString() },
    });
  }

  private async ownRequest(m: EntityManager, actor: AidantActor, id: string, lock = false): Promise<ConsentRequest> {
    requireOpener(actor);
    const row = await repo.findById(m, id, lock);
    // Another aidant's request, or another structure's: the same answer as a missing one.
    if (!row || row.aidantId !== actor.aidantId || row.structureId !== actor.structureId) {
      throw new NotFoundError('Cette demande de consentement n’existe pas ou ne vous concerne pas.', 'consent request not found or not accessible');
    }
    return row;
  }

  private rowView(row: ConsentRequest, now: Date) {
    const status = effectiveStatus(row, now);
    return {
      id: row.id,
      person: `${row.expectedGivenName} ${row.expectedFamilyName.toUpperCase()}`,
      birthdate: row.expectedBirthdate.split('-').reverse().join('/'),
      chosen: row.demarches.map(demarcheLabel),
      durationLabel: DURATIONS[row.duration].label,
      channelLabel: row.channel === 'email' ? 'Lien par courriel' : 'Code par téléphone',
      status,
      statusLabel: STATUS_LABELS[status],
      refusedBecauseUnavailable: row.refusalReason === 'aidant_unavailable',
      createdLabel: frenchDateTime(row.createdAt),
      expiresLabel: frenchDateTime(row.expiresAt),
      mandateId: row.mandateId,
    };
  }

  private async send(to: string, row: ConsentRequest, actor: AidantActor, token: string): Promise<'sent' | 'kept' | 'failed'> {
    try {
      await this.mailer.send({ to, ...consentMail(row, actor, `${this.config.publicUrl}/consentement/${token}`) });
      return this.mailer.kind === 'smtp' ? 'sent' : 'kept';
    } catch (error) {
      // Logged without the address; the aidant sees the failure on the request's page and may cancel and try the phone.
      this.logger.error({ err: error, kind: this.mailer.kind }, 'consent request mail not delivered');
      return 'failed';
    }
  }

  /** The partial unique index says "one pending request per aidant and expected usager": told as such. */
  private async pendingOnce<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof QueryFailedError && /consent_requests_one_pending_idx/.test(String((error.driverError as { constraint?: string })?.constraint ?? error.message))) {
        throw new ConsentRequestPendingError(
          'Une demande est déjà en attente pour cette personne : attendez sa réponse, ou annulez-la depuis « Consentements à distance » avant d’en préparer une autre.',
          'second pending consent request for the same expected usager',
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function requireOpener(actor: AidantActor): void {
  if (!actor.canOpenMandates) {
    throw new ForbiddenError('Seuls les aidants (et non les référents seuls) peuvent demander un consentement.', 'no aidant role');
  }
}

function notPending(): ConsentRequestUnusableError {
  return new ConsentRequestUnusableError('Cette demande n’est plus en attente : elle a reçu une réponse, expiré ou été annulée.', 'consent request not pending');
}

/** Birth dates before this year are taken for typing errors (FranceConnect's registers start in the 19th century). */
const EARLIEST_BIRTH_YEAR = 1880;

function readRequestForm(body: unknown, now: Date): RequestForm {
  const form = new FormInput(body);
  const familyName = form.text('nom', 'le nom de naissance', { max: 100 });
  const givenName = form.text('prenom', 'le prénom', { max: 100 });
  const typedDate = form.text('naissance', 'la date de naissance', { max: 20 });
  const birthdate = typedDate ? isoDate(typedDate) : '';
  if (typedDate && !birthdate) form.fail('naissance', 'Saisissez une date de naissance valide, par exemple 24/08/1962.');
  // A date to come, or centuries ago, can only be a typing error: the request could never be answered.
  else if (birthdate && (birthdate > now.toISOString().slice(0, 10) || Number(birthdate.slice(0, 4)) < EARLIEST_BIRTH_YEAR)) {
    form.fail('naissance', 'Saisissez une date de naissance passée, par exemple 24/08/1962.');
  }
  if (familyName && !foldName(familyName)) form.fail('nom', 'Le nom de naissance doit contenir des lettres.');
  if (givenName && !foldName(givenName)) form.fail('prenom', 'Le prénom doit contenir des lettres.');
  const typedEmail = form.text('email', 'l’adresse électronique', { max: 254, required: false });
  const email = typedEmail ? form.email('email') : null;
  const totp = form.totp();
  if (!form.valid) throw new ValidationError({ ...form.errors });
  return { familyName, givenName, birthdate, email, totp };
}
