import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { sha256Hex } from '../shared/digests.js';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { JournalActionDetails } from '../journal/journal.actions.js';
import { JournalService } from '../journal/journal.service.js';
import type { JournalActor, RequestFacts } from '../journal/journal.types.js';
import type { BrowserSession } from '../sessions/browser-session.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import type { FranceConnectTransaction } from './franceconnect-transaction.entity.js';
import {
  consumeTransaction,
  insertTransaction,
  purgeOldTransactions,
  type ConsumeRefusal,
} from './franceconnect-transactions.repository.js';
import { FranceConnectClient, type VerifiedIdentity } from './franceconnect.client.js';
import {
  FranceConnectAccessDeniedError,
  FranceConnectClaimsInvalidError,
  FranceConnectError,
  FranceConnectProviderError,
  FranceConnectStateMismatchError,
  FranceConnectTransactionExpiredError,
  oauthErrorIdentifier,
} from './franceconnect.errors.js';
import {
  CALLBACK_PATH,
  POST_LOGOUT_PATH,
  TRANSACTION_LIFETIME_MS,
  type FranceConnectIntent,
  type FranceConnectIntentHandler,
  type IntentHandlerOptions,
  type StartInput,
} from './franceconnect.types.js';

type FailureDetails = JournalActionDetails['franceconnect.failed'];
type FailureReason = FailureDetails['reason'];

/** How long FranceConnect has to send the browser back after logout. */
const LOGOUT_RETURN_MS = 10 * 60 * 1000;
const MAX_STATE_LENGTH = 512;

/** Only a local path is followed after a round trip (no open redirect). */
export function isLocalPath(value: unknown): value is string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(value);
}

const REASON_OF_CODE: Record<string, FailureReason> = {
  'franceconnect.access_denied': 'access_denied',
  'franceconnect.provider_error': 'provider_error',
  'franceconnect.state_mismatch': 'state_mismatch',
  'franceconnect.expired': 'state_expired',
  'franceconnect.token_invalid': 'token_invalid',
  'franceconnect.userinfo_invalid': 'userinfo_invalid',
  'franceconnect.claims_invalid': 'claims_invalid',
  'franceconnect.unavailable': 'unavailable',
};

/** The OAuth `error` as journaled: an identifier, never free text from the query string. */
function oauthErrorOf(value: string | null): string | undefined {
  if (value === null) return undefined;
  return oauthErrorIdentifier(value) ?? 'unrecognised';
}

interface Registered {
  handler: FranceConnectIntentHandler;
  endFranceConnectSession: boolean;
  retryPath?: string;
}

/**
 * FranceConnect round trips for any module: `start` stores the transaction
 * (state by hash, nonce, PKCE verifier, intent, payload, session binding,
 * ≤ 10 minutes) and gives the authorization URL; the callback consumes it
 * once, runs every check, hands the verified identity to the intent's
 * handler and, unless the intent says otherwise, sends the browser through
 * FranceConnect's end session before the handler's page. Every outcome is
 * journaled; a failure creates nothing. The caller hands over the browser's
 * session (where the round trip's binding and the logout's return live) and
 * the request's facts; no HTTP object reaches this service.
 */
@Injectable()
export class FranceConnectFlowService {
  private readonly logger = new Logger('FranceConnectFlow');
  private readonly handlers = new Map<FranceConnectIntent, Registered>();

  constructor(
    private readonly client: FranceConnectClient,
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  registerIntentHandler(intent: FranceConnectIntent, handler: FranceConnectIntentHandler, options: IntentHandlerOptions = {}): void {
    if (this.handlers.has(intent)) throw new Error(`a FranceConnect handler is already registered for ${intent}`);
    this.handlers.set(intent, { handler, endFranceConnectSession: options.endFranceConnectSession ?? true, retryPath: options.retryPath });
  }

  get callbackUrl(): string {
    return `${this.config.publicUrl}${CALLBACK_PATH}`;
  }

  get postLogoutUrl(): string {
    return `${this.config.publicUrl}${POST_LOGOUT_PATH}`;
  }

  /** Stores the transaction, journals `franceconnect.consent_started`, returns the URL to send the browser to. */
  async start(session: BrowserSession, request: RequestFacts, input: StartInput): Promise<string> {
    if (!this.handlers.has(input.intent)) throw new Error(`no FranceConnect handler registered for ${input.intent}`);
    const structureId = input.structureId ?? null;
    let authorization;
    try {
      authorization = await this.client.buildAuthorizationRequest({ redirectUri: this.callbackUrl });
    } catch (error) {
      if (error instanceof FranceConnectError) {
        await this.transactions.run((m) =>
          this.journalFailure(m, session, request, structureId, { intent: input.intent, transactionId: null, reason: 'unavailable' }),
        );
      }
      throw error;
    }
    const binding = this.bindingOf(session, true)!;
    const now = this.clock.now();
    const url = await this.transactions.run(async (m) => {
      await purgeOldTransactions(m, now);
      const row = await insertTransaction(m, {
        stateHash: sha256Hex(authorization.state),
        nonce: authorization.nonce,
        codeVerifier: authorization.codeVerifier ?? null,
        intent: input.intent,
        sessionBinding: binding,
        structureId,
        payload: input.payload,
        createdAt: now,
        expiresAt: new Date(now.getTime() + TRANSACTION_LIFETIME_MS),
      });
      await this.journal.append(m, {
        action: 'franceconnect.consent_started',
        structureId,
        actor: this.actorOf(session, input.intent),
        subjects: this.subjectsOf(session),
        request,
        details: { intent: input.intent, transactionId: row.id, expiresAt: row.expiresAt.toISOString() },
      });
      return authorization.url;
    });
    await session.save();
    return url;
  }

  /**
   * The callback: consumes the transaction (bound to this session, once),
   * checks FranceConnect's answer, runs the intent's handler, and returns
   * where to send the browser (FranceConnect's end session, or the
   * handler's path). `callbackPath` is the path and query the browser came back with.
   */
  async complete(session: BrowserSession, request: RequestFacts, callbackPath: string): Promise<string> {
    const currentUrl = new URL(callbackPath, `${this.config.publicUrl}/`);
    const params = currentUrl.searchParams;
    const state = params.get('state');
    const oauthError = params.get('error');
    const consumed = await this.consume(session, request, state, oauthError);
    const transaction = consumed.transaction;

    let identity: VerifiedIdentity;
    try {
      identity = await this.client.handleCallback({
        currentUrl,
        expected: { state: state!, nonce: transaction.nonce, codeVerifier: transaction.codeVerifier ?? undefined },
      });
    } catch (error) {
      if (error instanceof FranceConnectError) {
        await this.recordCheckFailure(session, request, transaction, error, oauthError);
        error.retryPath = this.handlers.get(transaction.intent)?.retryPath;
      }
      throw error;
    }
    await this.transactions.run((m) =>
      this.journal.append(m, {
        action: 'franceconnect.consent_verified',
        structureId: transaction.structureId,
        actor: this.actorOf(session, transaction.intent),
        subjects: this.subjectsOf(session),
        request,
        details: {
          intent: transaction.intent,
          transactionId: transaction.id,
          acr: identity.acr,
          authTime: identity.authTime ?? null,
          idTokenHash: identity.idTokenHash,
        },
      }),
    );

    const registered = this.handlers.get(transaction.intent);
    let path: string;
    try {
      if (!registered) throw new Error(`no FranceConnect handler registered for ${transaction.intent}`);
      path = await registered.handler({ session, request, identity, payload: transaction.payload, transactionId: transaction.id });
      if (!isLocalPath(path)) throw new Error(`the ${transaction.intent} handler returned a path that is not local`);
    } catch (error) {
      await this.transactions.run((m) =>
        this.journalFailure(m, session, request, transaction.structureId, {
          intent: transaction.intent,
          transactionId: transaction.id,
          reason: 'intent_failed',
        }),
      );
      throw error;
    }
    if (!registered.endFranceConnectSession) {
      // Saved before the redirect is sent: browsers follow it as soon as the
      // headers arrive, before express-session's own save at the end.
      await session.save();
      return path;
    }
    return this.endSessionUrl(session, { idTokenHint: identity.idToken, returnPath: path });
  }

  /**
   * FranceConnect's end session URL for this browser (`id_token_hint`, a new
   * `state`, the registered post-logout URI); the return to `returnPath` is
   * remembered in the session. Falls back to `returnPath` itself when
   * FranceConnect cannot be asked (the local session is what matters then).
   */
  async endSessionUrl(session: BrowserSession, input: { idTokenHint: string; returnPath: string }): Promise<string> {
    if (!isLocalPath(input.returnPath)) throw new Error('FranceConnect logout must return to a local path');
    const state = randomBytes(32).toString('base64url');
    try {
      const url = await this.client.buildEndSessionUrl({
        idTokenHint: input.idTokenHint,
        state,
        postLogoutRedirectUri: this.postLogoutUrl,
      });
      session.data.franceConnectLogout = {
        stateHash: sha256Hex(state),
        returnPath: input.returnPath,
        expiresAt: this.clock.nowMs() + LOGOUT_RETURN_MS,
      };
      await session.save();
      return url;
    } catch (error) {
      this.logger.warn({ err: error }, 'FranceConnect end session unavailable: returning without it');
      await session.save();
      return input.returnPath;
    }
  }

  /** FranceConnect sent the browser back after logout: the path remembered for that `state`, once; null if none. */
  finishLogout(session: BrowserSession, state: unknown): string | null {
    const pending = session.data.franceConnectLogout;
    if (!pending) return null;
    delete session.data.franceConnectLogout;
    const matches =
      typeof state === 'string' &&
      state.length <= MAX_STATE_LENGTH &&
      sha256Hex(state) === pending.stateHash &&
      pending.expiresAt > this.clock.nowMs();
    return matches ? pending.returnPath : null;
  }

  private async consume(
    session: BrowserSession,
    request: RequestFacts,
    state: string | null,
    oauthError: string | null,
  ): Promise<{ transaction: FranceConnectTransaction }> {
    const usable = state !== null && state.length > 0 && state.length <= MAX_STATE_LENGTH;
    const binding = this.bindingOf(session, false);
    const result = await this.transactions.run(async (m) => {
      const outcome = usable
        ? await consumeTransaction(m, { stateHash: sha256Hex(state), sessionBinding: binding, now: this.clock.now() })
        : ({ ok: false, reason: 'state_unknown', transaction: null } as const);
      const known = outcome.transaction;
      // A transaction bound to another session is journaled in the national chain: this browser is not its owner.
      const owned = outcome.ok || outcome.reason !== 'state_other_session' ? known : null;
      if (oauthError !== null) {
        // FranceConnect's own error comes first: the person cancelled, or FranceConnect refused.
        await this.journalFailure(m, session, request, owned?.structureId ?? null, {
          intent: owned?.intent ?? null,
          transactionId: known?.id ?? null,
          reason: oauthError === 'access_denied' ? 'access_denied' : 'provider_error',
          error: oauthErrorOf(oauthError),
        });
        const error = oauthError === 'access_denied' ? new FranceConnectAccessDeniedError() : new FranceConnectProviderError(oauthError);
        // The round trip of this browser's own transaction can start again where it began.
        if (owned && outcome.ok) error.retryPath = this.handlers.get(owned.intent)?.retryPath;
        return { error };
      }
      if (!outcome.ok) {
        await this.journalFailure(m, session, request, owned?.structureId ?? null, {
          intent: owned?.intent ?? null,
          transactionId: known?.id ?? null,
          reason: outcome.reason,
        });
        return { error: refusalError(outcome.reason) };
      }
      return { transaction: outcome.transaction };
    });
    if ('error' in result) throw result.error;
    return result;
  }

  private async recordCheckFailure(
    session: BrowserSession,
    request: RequestFacts,
    transaction: FranceConnectTransaction,
    error: FranceConnectError,
    oauthError: string | null,
  ): Promise<void> {
    await this.transactions.run((m) =>
      this.journalFailure(m, session, request, transaction.structureId, {
        intent: transaction.intent,
        transactionId: transaction.id,
        reason: REASON_OF_CODE[error.code] ?? 'token_invalid',
        ...(error instanceof FranceConnectProviderError ? { error: oauthErrorOf(oauthError) } : {}),
        ...(error instanceof FranceConnectClaimsInvalidError ? { claims: [...error.claims] } : {}),
      }),
    );
  }

  private async journalFailure(
    m: EntityManager,
    session: BrowserSession,
    request: RequestFacts,
    structureId: string | null,
    details: FailureDetails,
  ): Promise<void> {
    this.logger.log({ reason: details.reason, intent: details.intent }, 'FranceConnect round trip failed');
    await this.journal.append(m, {
      action: 'franceconnect.failed',
      structureId,
      actor: this.actorOf(session, details.intent),
      subjects: this.subjectsOf(session),
      request,
      details,
    });
  }

  /** SHA-256 of this session's FranceConnect binding (created on first use when asked). */
  private bindingOf(session: BrowserSession, create: boolean): string | null {
    if (create) session.data.franceConnectBinding ??= randomBytes(32).toString('base64url');
    const binding = session.data.franceConnectBinding;
    return binding ? sha256Hex(binding) : null;
  }

  /** Who acts: the signed-in aidant at the counter, the usager, or a person not yet identified. */
  private actorOf(session: BrowserSession, intent: FranceConnectIntent | null): JournalActor {
    const { aidant, usager } = session.data;
    if (aidant) return { type: 'aidant', id: aidant.aidantId };
    if (usager) return { type: 'usager', id: usager.usagerId };
    return intent === 'usager_sign_in' || intent === 'remote_consent' ? { type: 'usager', id: null } : { type: 'system', id: null };
  }

  private subjectsOf(session: BrowserSession) {
    const { aidant, usager } = session.data;
    if (aidant) return { aidantId: aidant.aidantId };
    if (usager) return { usagerId: usager.usagerId };
    return undefined;
  }
}

function refusalError(reason: ConsumeRefusal): FranceConnectError {
  switch (reason) {
    case 'state_expired':
      return new FranceConnectTransactionExpiredError();
    case 'state_used':
      return new FranceConnectStateMismatchError('FranceConnect state already used (replayed callback)');
    case 'state_other_session':
      return new FranceConnectStateMismatchError('FranceConnect state belongs to another browser session');
    case 'state_unknown':
      return new FranceConnectStateMismatchError('FranceConnect state unknown or missing');
  }
}
