import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { FranceConnectFlowService } from '../franceconnect/franceconnect-flow.service.js';
import type { VerifiedIdentity } from '../franceconnect/franceconnect.types.js';
import { IdTokenHintSeal } from '../franceconnect/id-token-hint-seal.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import type { BrowserSession } from '../sessions/browser-session.js';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, type UsagerSession } from '../sessions/session-data.js';
import { UsagerSpaceForbiddenError } from './usagers.errors.js';
import { UsagersService } from './usagers.service.js';
import type { UsagerView } from './usagers.types.js';

export const USAGER_HOME = '/usager';
export const USAGER_SIGNED_OUT = '/usager/deconnexion';

export type SessionEnding = 'idle_timeout' | 'absolute_timeout';
export type CurrentUsager = { usager: UsagerView } | { usager: null; ended: SessionEnding | null };

/**
 * The usager's own session: sign-in with FranceConnect (intent
 * `usager_sign_in`), idle (30 min) and absolute (12 h) timeouts, sign-out
 * of Procuration and of FranceConnect. A browser holds an aidant session or
 * a usager session, never both. The controllers and the guard hand over the
 * browser's session and the request's facts.
 */
@Injectable()
export class UsagerSessionService implements OnModuleInit {
  constructor(
    private readonly flow: FranceConnectFlowService,
    private readonly usagers: UsagersService,
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly clock: Clock,
    private readonly idTokenSeal: IdTokenHintSeal,
  ) {}

  onModuleInit(): void {
    // The FranceConnect session stays open until the usager signs out of Procuration.
    this.flow.registerIntentHandler('usager_sign_in', ({ session, request, identity }) => this.completeSignIn(session, request, identity), {
      endFranceConnectSession: false,
      retryPath: '/usager',
    });
  }

  /** The FranceConnect authorization URL for this browser (refused while an aidant is signed in here). */
  async startSignIn(session: BrowserSession, request: RequestFacts): Promise<string> {
    if (session.data.aidant) throw new UsagerSpaceForbiddenError('usager sign-in started in an aidant session');
    return this.flow.start(session, request, { intent: 'usager_sign_in', payload: {}, structureId: null });
  }

  /** The signed-in usager of this session, or why there is none (a timeout ends the session here). */
  async current(session: BrowserSession, request: RequestFacts): Promise<CurrentUsager> {
    if (session.data.aidant) throw new UsagerSpaceForbiddenError();
    const auth = session.data.usager;
    if (!auth) return { usager: null, ended: null };
    const now = this.clock.nowMs();
    if (now - auth.signedInAt > ABSOLUTE_TIMEOUT_MS) return this.end(session, request, auth, 'absolute_timeout');
    if (now - auth.lastSeenAt > IDLE_TIMEOUT_MS) return this.end(session, request, auth, 'idle_timeout');
    const usager = await this.transactions.run((m) => this.usagers.findById(m, auth.usagerId));
    if (!usager) {
      await session.regenerate();
      return { usager: null, ended: null };
    }
    auth.lastSeenAt = now;
    return { usager };
  }

  /**
   * Journals the sign-out, ends the Procuration session, and returns where to
   * send the browser: FranceConnect's end session, then the signed-out page.
   */
  async signOut(session: BrowserSession, request: RequestFacts): Promise<string> {
    const auth = session.data.usager!;
    await this.transactions.run((m) =>
      this.journal.append(m, {
        action: 'usager.signed_out',
        structureId: null,
        actor: { type: 'usager', id: auth.usagerId },
        subjects: { usagerId: auth.usagerId },
        request,
        details: { reason: 'user' },
      }),
    );
    // The old session row (and the sealed token in it) is deleted here: the
    // token lives on only in this request, for FranceConnect's end session.
    await session.regenerate();
    const idTokenHint = auth.sealedIdTokenHint ? this.idTokenSeal.open(auth.sealedIdTokenHint, auth.usagerId) : null;
    if (!idTokenHint) return USAGER_SIGNED_OUT;
    return this.flow.endSessionUrl(session, { idTokenHint, returnPath: USAGER_SIGNED_OUT });
  }

  /** The `usager_sign_in` handler: create or update the usager, then a new session for them alone. */
  private async completeSignIn(session: BrowserSession, request: RequestFacts, identity: VerifiedIdentity): Promise<string> {
    if (session.data.aidant) throw new UsagerSpaceForbiddenError('aidant session at the usager sign-in callback');
    const usager = await this.transactions.run(async (m) => {
      const view = await this.usagers.upsertFromIdentity(m, identity, {
        actor: { type: 'usager', id: null },
        structureId: null,
        request,
      });
      await this.journal.append(m, {
        action: 'usager.signed_in',
        structureId: null,
        actor: { type: 'usager', id: view.id },
        subjects: { usagerId: view.id },
        request,
        details: { method: 'franceconnect', acr: identity.acr },
      });
      return view;
    });
    await session.regenerate();
    const now = this.clock.nowMs();
    session.data.usager = {
      usagerId: usager.id,
      signedInAt: now,
      lastSeenAt: now,
      sealedIdTokenHint: this.idTokenSeal.seal(identity.idToken, usager.id),
    };
    return USAGER_HOME;
  }

  private async end(session: BrowserSession, request: RequestFacts, auth: UsagerSession, reason: SessionEnding): Promise<CurrentUsager> {
    await this.transactions.run((m) =>
      this.journal.append(m, {
        action: 'usager.signed_out',
        structureId: null,
        actor: { type: 'system', id: null },
        subjects: { usagerId: auth.usagerId },
        request,
        details: { reason },
      }),
    );
    // A fresh, empty session: the sign-in page that follows carries a CSRF token.
    await session.regenerate();
    return { usager: null, ended: reason };
  }
}
