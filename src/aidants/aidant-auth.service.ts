import { Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { deviceSummary } from '../sessions/device-summary.js';
import type { AidantSession } from '../sessions/session-data.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import type { AidantActor } from './aidant-actor.js';
import { AidantSignOutHooks } from './aidant-sign-out.hooks.js';
import { AidantsService, type MembershipView } from './aidants.service.js';
import { SignInLockedError } from './aidants.errors.js';
import type { Role } from './roles.js';
import type { SignedIn } from './sign-in.service.js';
import { clearFailures, reserveAttempt, settleFailure } from './sign-in-throttles.js';
import { TotpDevicesService } from './totp-devices.service.js';

/** Session-level use cases of a signed-in aidant: new session, switch, sign-out, fresh TOTP. */
@Injectable()
export class AidantAuthService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly aidants: AidantsService,
    private readonly devices: TotpDevicesService,
    private readonly journal: JournalService,
    private readonly clock: Clock,
    private readonly signOutHooks: AidantSignOutHooks,
  ) {}

  /** Where a sign-in without a page to go back to lands: the structure's page for a référent only, else the dashboard. */
  landingAfterSignIn(signedIn: SignedIn, session: AidantSession): string {
    const membership = signedIn.memberships.find((ms) => ms.structure.id === session.structureId);
    return membership ? landingFor(membership.roles) : '/aidant';
  }

  newSession(signedIn: SignedIn, request: RequestFacts): AidantSession {
    const now = this.clock.nowMs();
    const only = signedIn.memberships.length === 1 ? signedIn.memberships[0]!.structure.id : null;
    return {
      aidantId: signedIn.aidant.id,
      structureId: only,
      signedInAt: now,
      lastSeenAt: now,
      totpAt: now,
      device: deviceSummary(request.userAgent),
      ip: request.ip ?? null,
    };
  }

  /** Structures the aidant may act in now. */
  usableMemberships(aidantId: string): Promise<MembershipView[]> {
    return this.transactions.run(async (m) =>
      (await this.aidants.membershipsOf(m, aidantId)).filter((ms) => ms.structure.active && !ms.suspended),
    );
  }

  /** Changes the current structure (journaled in the structure entered); returns the landing page for the roles held there. */
  async switchStructure(session: AidantSession, structureId: unknown, request: RequestFacts): Promise<string> {
    if (typeof structureId !== 'string') throw new ValidationError({ structure: 'Choisissez une structure.' });
    const roles = await this.transactions.run(async (m) => {
      const usable = (await this.aidants.membershipsOf(m, session.aidantId)).find(
        (ms) => ms.structure.id === structureId && ms.structure.active && !ms.suspended,
      );
      if (!usable) throw new NotFoundError('Cette structure n’existe pas ou vous n’y avez pas accès.', 'structure not usable');
      await this.aidants.recordSignIn(m, session.aidantId, structureId);
      await this.journal.append(m, {
        action: 'aidant.structure_switched',
        structureId,
        actor: { type: 'aidant', id: session.aidantId },
        subjects: { aidantId: session.aidantId },
        request,
        details: { from: session.structureId, to: structureId },
      });
      return usable.roles;
    });
    session.structureId = structureId;
    return landingFor(roles);
  }

  async signOut(session: AidantSession, request: RequestFacts): Promise<void> {
    await this.transactions.run(async (m) => {
      const chains = session.structureId ? [session.structureId] : await this.aidants.chainsOf(m, session.aidantId);
      for (const structureId of chains) {
        await this.journal.append(m, {
          action: 'aidant.signed_out',
          structureId,
          actor: { type: 'aidant', id: session.aidantId },
          subjects: { aidantId: session.aidantId },
          request,
          details: { reason: 'user' },
        });
      }
      await this.signOutHooks.run(m, session.aidantId);
    });
  }

  /**
   * Checks a fresh TOTP code for a sensitive action (a mandate's confirmation,
   * a revocation) and journals it; returns the time to store as the session's
   * `totpAt`. Runs in its own transactions, *before* the caller's use case:
   * a consumed code without the action that followed is harmless, while
   * failures must be counted even though the action is refused (5 wrong
   * codes → 15 minutes without fresh codes, like sign-in). Throws a
   * ValidationError bound to the `totp` field, or SignInLockedError (429).
   */
  async confirmFreshTotp(actor: Pick<AidantActor, 'aidantId' | 'structureId'>, code: string, request?: RequestFacts): Promise<number> {
    const key = `totp:${actor.aidantId}`;
    const now = this.clock.now();
    const outcome = await this.transactions.run(async (m) => {
      // Counted before the check; the row stays held until this transaction
      // commits, so parallel codes for one aidant are checked one at a time.
      const reservation = await reserveAttempt(m, key, now);
      const event = { structureId: actor.structureId, actor: { type: 'aidant' as const, id: actor.aidantId }, subjects: { aidantId: actor.aidantId }, request };
      const lockEntry = (until: Date) =>
        this.journal.append(m, { ...event, actor: { type: 'system', id: null }, action: 'aidant.locked', details: { scope: 'totp', until: until.toISOString() } });
      if (!reservation.admitted) {
        await this.journal.append(m, { ...event, action: 'aidant.totp_reauthentication_failed', details: { reason: 'locked' } });
        if (reservation.lockStarted) await lockEntry(reservation.lockedUntil!);
        return { kind: 'locked' as const, until: reservation.lockedUntil! };
      }
      const check = /^\d{6}$/.test(code) ? await this.devices.verify(m, actor.aidantId, code) : null;
      if (!check?.ok) {
        const reason = check?.reason === 'replayed' ? ('totp_replayed' as const) : ('bad_totp' as const);
        const lock = await settleFailure(m, reservation, now);
        await this.journal.append(m, { ...event, action: 'aidant.totp_reauthentication_failed', details: { reason } });
        if (lock) await lockEntry(lock);
        return { kind: 'failed' as const, reason, lock };
      }
      await clearFailures(m, key);
      await this.journal.append(m, { ...event, action: 'aidant.totp_reauthenticated', details: { device: check.kind } });
      return { kind: 'ok' as const };
    });
    if (outcome.kind === 'locked') throw new SignInLockedError(outcome.until, 'fresh TOTP while locked');
    if (outcome.kind === 'failed') {
      if (outcome.lock) throw new SignInLockedError(outcome.lock, 'fresh TOTP failures reached the limit');
      throw new ValidationError({
        totp:
          outcome.reason === 'totp_replayed'
            ? 'Ce code a déjà été utilisé : attendez le code suivant.'
            : 'Code à usage unique incorrect : saisissez le code affiché maintenant.',
      });
    }
    return now.getTime();
  }

  /** `/aidant/reauthentification`: a new code makes the session's TOTP fresh again. */
  async reauthenticate(session: AidantSession, actor: AidantActor, code: string, request: RequestFacts): Promise<void> {
    session.totpAt = await this.confirmFreshTotp(actor, code, request);
  }
}

/**
 * A référent who is not an aidant of the structure has nothing to do on the
 * aidant's dashboard: their work is the structure's page. Someone with both
 * roles lands on the dashboard, which links to the structure's page.
 */
export function landingFor(roles: readonly Role[]): string {
  return roles.includes('referent') && !roles.includes('aidant') ? '/structure' : '/aidant';
}
