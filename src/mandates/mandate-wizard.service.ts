import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import type { AidantActor } from '../aidants/aidant-actor.js';
import { AidantAuthService } from '../aidants/aidant-auth.service.js';
import { FormInput } from '../web/form-input.js';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DEMARCHES, demarcheLabel } from '../demarches/demarches.js';
import { FranceConnectFlowService } from '../franceconnect/franceconnect-flow.service.js';
import type { VerifiedIdentity } from '../franceconnect/franceconnect.client.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import type { BrowserSession } from '../sessions/browser-session.js';
import { ValidationError } from '../shared/domain-error.js';
import { StructuresService } from '../structures/structures.service.js';
import { UsagersService } from '../usagers/usagers.service.js';
import { displayName } from '../usagers/usagers.types.js';
import { frenchDateTime, identityDisplay } from '../web/french/index.js';
import { MandateOpeningService, readChoice, type MandateChoice } from './mandate-opening.service.js';
import { DURATIONS, expiryOf } from './mandate-status.js';
import { MandateForbiddenError, MandateNotLiveError, NoPendingMandateError, RenewalWiderError } from './mandates.errors.js';
import { MandatesService } from './mandates.service.js';
import type { MandateView } from './mandates.types.js';
import { PENDING_MANDATE_LIFETIME_MS, type PendingMandate } from './pending-mandate.js';
import { renewableDurations, renewalBounds, wideningMessage, wideningOf, type RenewalBounds } from './renewal.js';
import { loadWizardState, saveWizardState, type MandateWizardState } from './wizard-state.js';

export const RECAP_PATH = '/aidant/mandats/nouveau/recapitulatif';
export const CONSENT_PATH = '/aidant/mandats/nouveau/franceconnect';

/**
 * The counter's wizard: démarches and duration, the usager's FranceConnect
 * consent, then the recap where the aidant's declaration and a fresh TOTP
 * code confirm everything in one transaction. Renewal skips FranceConnect.
 * The state between steps is a value (`MandateWizardState`): the controller
 * loads it from the session and saves what a step returns.
 */
@Injectable()
export class MandateWizardService implements OnModuleInit {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly structures: StructuresService,
    private readonly auth: AidantAuthService,
    private readonly usagers: UsagersService,
    private readonly flow: FranceConnectFlowService,
    private readonly opening: MandateOpeningService,
    private readonly mandates: MandatesService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.flow.registerIntentHandler('mandate_consent', async ({ session, identity, payload }) => {
      const state = loadWizardState(session.data);
      const pending = this.pendingOf(state);
      if (pending.id !== payload.pendingId || pending.consent) {
        throw new NoPendingMandateError(
          'Ce consentement ne correspond pas au mandat en cours sur ce poste. Recommencez la création du mandat.',
          'consent for another pending mandate',
        );
      }
      const { idToken: _idToken, ...kept } = identity;
      saveWizardState(session.data, { pending: { ...pending, consent: { identity: kept, consentedAt: this.clock.nowMs() } } });
      return RECAP_PATH;
    }, { retryPath: CONSENT_PATH });
  }

  async choiceForm(actor: AidantActor) {
    requireOpener(actor);
    const structure = await this.transactions.run((m) => this.structures.getById(m, actor.structureId));
    return {
      pageTitle: 'Nouveau mandat',
      demarches: DEMARCHES.filter((d) => structure.allowedDemarches.includes(d.id)),
      durations: DURATIONS,
    };
  }

  /** Step 1 submitted: the new state holds the choice (nothing written but the journal's `mandate.started`). */
  async start(actor: AidantActor, body: unknown, request: RequestFacts): Promise<MandateWizardState> {
    requireOpener(actor);
    const structure = await this.transactions.run((m) => this.structures.getById(m, actor.structureId));
    const choice = readChoice(body, structure.allowedDemarches);
    const pending: PendingMandate = {
      id: randomUUID(),
      aidantId: actor.aidantId,
      structureId: actor.structureId,
      demarches: choice.demarches,
      duration: choice.duration,
      startedAt: this.clock.nowMs(),
    };
    await this.transactions.run((m) =>
      this.journal.append(m, {
        action: 'mandate.started',
        structureId: actor.structureId,
        actor: { type: 'aidant', id: actor.aidantId },
        subjects: { aidantId: actor.aidantId },
        request,
        details: { demarches: choice.demarches, duration: choice.duration },
      }),
    );
    return { pending };
  }

  consentPage(state: MandateWizardState, actor: AidantActor) {
    const pending = this.pendingOf(state, actor);
    return {
      pageTitle: 'Nouveau mandat : identification',
      chosen: pending.demarches.map(demarcheLabel),
      durationLabel: DURATIONS[pending.duration].label,
    };
  }

  /**
   * The wizard's choice (démarches, duration) for a usager who is not at the
   * counter: the remote consent module prepares its request from it. The
   * same checks as the FranceConnect step (this aidant's, not too old, not
   * created yet).
   */
  remoteChoice(state: MandateWizardState, actor: AidantActor): { pendingId: string } & MandateChoice {
    requireOpener(actor);
    const pending = this.pendingOf(state, actor);
    return { pendingId: pending.id, demarches: pending.demarches, duration: pending.duration };
  }

  /** Step 2: sends the counter's browser to FranceConnect for the usager's consent. */
  async startConsent(state: MandateWizardState, actor: AidantActor, session: BrowserSession, request: RequestFacts): Promise<string> {
    const pending = this.pendingOf(state, actor);
    if (pending.consent) return RECAP_PATH;
    return this.flow.start(session, request, { intent: 'mandate_consent', payload: { pendingId: pending.id }, structureId: actor.structureId });
  }

  recapPage(state: MandateWizardState, actor: AidantActor) {
    const pending = this.pendingOf(state, actor);
    const identity = this.consentOf(pending);
    return {
      pageTitle: 'Nouveau mandat : récapitulatif',
      usager: { name: displayName(identityNames(identity)) },
      identity: identityDisplay(identity),
      chosen: pending.demarches.map(demarcheLabel),
      argent: pending.demarches.includes('argent'),
      durationLabel: DURATIONS[pending.duration].label,
      endLabel: frenchDateTime(expiryOf(this.clock.now(), pending.duration)),
    };
  }

  /**
   * Step 3: declaration + fresh TOTP; the usager, the mandate and everything
   * else in one transaction. Returns the mandate, when the TOTP code was
   * accepted, and the state that remembers the mandate was created.
   */
  async confirm(
    state: MandateWizardState,
    actor: AidantActor,
    body: unknown,
    request: RequestFacts,
  ): Promise<{ mandateId: string; totpAt: number; state: MandateWizardState }> {
    const pending = this.pendingOf(state, actor);
    const identity = this.consentOf(pending);
    const code = readConfirmation(body);
    await this.refuseIfSubmitted(pending.id);
    const { mandateId, totpAt } = await this.once(async () => {
      // The fresh code is checked (and its failures journaled and throttled) in
      // its own transaction first: a wrong code must be recorded even though
      // nothing else is written (docs/decisions/0203).
      const totpAt = await this.auth.confirmFreshTotp(actor, code, request);
      return this.transactions.run(async (m) => {
        if (await this.opening.isSubmitted(m, pending.id)) throw alreadyCreated();
        const usager = await this.usagers.upsertFromIdentity(m, { ...identity, idToken: '' } as VerifiedIdentity, {
          actor: { type: 'aidant', id: actor.aidantId },
          structureId: actor.structureId,
          request,
        });
        const mandate = await this.opening.open(m, {
          aidantId: actor.aidantId,
          structureId: actor.structureId,
          usagerId: usager.id,
          choice: { demarches: pending.demarches, duration: pending.duration },
          consent: { kind: 'franceconnect', acr: identity.acr, authTime: identity.authTime, idTokenHash: identity.idTokenHash },
          submissionId: pending.id,
          declaredAt: new Date(totpAt),
          totpConfirmedAt: new Date(totpAt),
          request,
        });
        return { mandateId: mandate.id, totpAt };
      });
    });
    return { mandateId, totpAt, state: { pending: { ...pending, consent: undefined, createdMandateId: mandateId } } };
  }

  /** The renewal form offers only what the mandate still holds: its démarches (or fewer) for its duration (or shorter). */
  async renewalPage(actor: AidantActor, mandateId: string) {
    const { mandate, usager, allowed, bounds } = await this.renewable(actor, mandateId);
    return {
      pageTitle: 'Renouveler le mandat',
      mandateId: mandate.id,
      submission: randomUUID(),
      usager: { name: displayName(usager) },
      identity: identityDisplay(usager),
      createdLabel: frenchDateTime(mandate.createdAt),
      demarches: DEMARCHES.filter((d) => allowed.includes(d.id) && bounds.demarches.includes(d.id)),
      durations: renewableDurations(bounds),
      durationLabel: DURATIONS[bounds.duration].label,
      values: { demarches: bounds.demarches, duree: mandate.duration },
    };
  }

  /**
   * Renewal: same structure and usager, no FranceConnect; linked to the
   * earlier consent. It keeps or narrows the démarches and keeps or shortens
   * the duration; anything wider is refused before the TOTP code is spent,
   * and checked again under the mandate's lock (a revocation may land between).
   * Returns the new mandate and when the TOTP code was accepted.
   */
  async renew(actor: AidantActor, mandateId: string, body: unknown, request: RequestFacts): Promise<{ mandateId: string; totpAt: number }> {
    const { mandate, allowed, bounds } = await this.renewable(actor, mandateId);
    const choice = readChoice(body, allowed);
    refuseWidening(bounds, choice);
    const code = readConfirmation(body);
    const submission = (body as Record<string, unknown>)?.soumission;
    const submissionId = typeof submission === 'string' && /^[0-9a-f-]{36}$/.test(submission) ? submission : randomUUID();
    await this.refuseIfSubmitted(submissionId);
    const renewed = await this.once(async () => {
      const totpAt = await this.auth.confirmFreshTotp(actor, code, request);
      return this.transactions.run(async (m) => {
        if (await this.opening.isSubmitted(m, submissionId)) throw alreadyCreated();
        const current = await this.mandates.getForStructure(m, actor.structureId, mandate.id, { lock: true });
        refuseRevoked(current);
        refuseWidening(renewalBounds(current), choice);
        const renewedMandate = await this.opening.open(m, {
          aidantId: actor.aidantId,
          structureId: actor.structureId,
          usagerId: mandate.usagerId,
          choice,
          consent: { kind: 'renewal', previousConsentId: mandate.consentId, renewedFrom: mandate.id },
          submissionId,
          declaredAt: new Date(totpAt),
          totpConfirmedAt: new Date(totpAt),
          request,
        });
        return { mandate: renewedMandate, totpAt };
      });
    });
    return { mandateId: renewed.mandate.id, totpAt: renewed.totpAt };
  }

  private async renewable(actor: AidantActor, mandateId: string) {
    requireOpener(actor);
    return this.transactions.run(async (m) => {
      const mandate = await this.mandates.getForStructure(m, actor.structureId, mandateId);
      refuseRevoked(mandate);
      const bounds = renewalBounds(mandate);
      if (bounds.demarches.length === 0) {
        throw new MandateNotLiveError(
          'Toutes les démarches de ce mandat ont été reprises par un mandat plus récent : renouvelez plutôt celui-ci, ou créez un nouveau mandat avec FranceConnect.',
          'renewal of a mandate holding no démarche',
        );
      }
      const usager = await this.usagers.findById(m, mandate.usagerId);
      if (!usager) throw new MandateNotLiveError('La personne de ce mandat est introuvable.', 'usager missing');
      const structure = await this.structures.getById(m, actor.structureId);
      return { mandate, usager, allowed: structure.allowedDemarches, bounds };
    });
  }

  /**
   * A form already turned into a mandate is answered "already created"
   * before its code is checked. The session cannot say it reliably: two
   * concurrent submits each save the session when they end, and the loser's
   * copy (still pending) may be written last; the database can.
   */
  private async refuseIfSubmitted(submissionId: string): Promise<void> {
    if (await this.transactions.run((m) => this.opening.isSubmitted(m, submissionId))) throw alreadyCreated();
  }

  /** The double submit of a confirmed form fails on the consent's submission id: one mandate only. */
  private async once<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof QueryFailedError && /submission_id/.test(String((error.driverError as { constraint?: string })?.constraint ?? error.message))) {
        throw alreadyCreated(error);
      }
      throw error;
    }
  }

  private pendingOf(state: MandateWizardState, actor?: AidantActor): PendingMandate {
    const pending = state.pending;
    const valid =
      pending &&
      this.clock.nowMs() - pending.startedAt < PENDING_MANDATE_LIFETIME_MS &&
      (!actor || (pending.aidantId === actor.aidantId && pending.structureId === actor.structureId));
    if (!valid) {
      throw new NoPendingMandateError(
        'Aucun mandat n’est en cours de création sur ce poste (abandonné, expiré ou déjà créé). Recommencez depuis « Nouveau mandat ».',
        'no pending mandate in the session',
      );
    }
    if (pending.createdMandateId) throw alreadyCreated();
    return pending;
  }

  private consentOf(pending: PendingMandate) {
    if (!pending.consent) {
      throw new NoPendingMandateError(
        'La personne ne s’est pas encore identifiée avec FranceConnect pour ce mandat.',
        'recap before consent',
      );
    }
    return pending.consent.identity;
  }
}

function alreadyCreated(cause?: unknown): NoPendingMandateError {
  return new NoPendingMandateError('Ce mandat a déjà été créé : retrouvez-le sur votre tableau de bord.', 'double submission of a mandate form', {
    cause,
  });
}

function refuseRevoked(mandate: MandateView): void {
  if (mandate.status === 'revoked') {
    throw new MandateNotLiveError(
      'Ce mandat a été révoqué : pour agir de nouveau, créez un nouveau mandat avec le consentement FranceConnect de la personne.',
      'renewal of a revoked mandate',
    );
  }
}

function refuseWidening(bounds: RenewalBounds, choice: MandateChoice): void {
  const widening = wideningOf(bounds, choice);
  if (widening) {
    throw new RenewalWiderError(
      wideningMessage(widening, bounds),
      `renewal wider than the mandate (${widening.added.length} démarche(s) added, longer: ${widening.longer})`,
    );
  }
}

function requireOpener(actor: AidantActor): void {
  if (!actor.canOpenMandates) {
    throw new MandateForbiddenError('Seuls les aidants (et non les référents seuls) peuvent créer un mandat.', 'no aidant role');
  }
}

function identityNames(identity: Omit<VerifiedIdentity, 'idToken'>) {
  return { givenName: identity.givenName, familyName: identity.familyName, preferredUsername: identity.preferredUsername ?? null };
}

/** The recap's declaration and TOTP fields. */
function readConfirmation(body: unknown): string {
  const form = new FormInput(body);
  const declaration = (body as Record<string, unknown> | undefined)?.declaration;
  if (declaration !== 'oui') form.fail('declaration', 'Cochez la déclaration : la personne est présente, informée et d’accord.');
  const code = form.totp();
  if (!form.valid) throw new ValidationError({ ...form.errors });
  return code;
}
