import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { JournalActionDetails } from '../journal/journal.actions.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { endSessionsOf, liveSessionsOf, type SessionSelection } from '../sessions/session-registry.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import type { AidantActor } from './aidant-actor.js';
import { AidantsService } from './aidants.service.js';
import { PasswordChangeLockedError } from './aidants.errors.js';
import { FormInput } from '../web/form-input.js';
import { hashPassword, verifyPassword } from './password-hasher.js';
import { PASSWORD_MAX_LENGTH, passwordProblem } from './password-policy.js';
import { clearFailures, reserveAttempt, settleFailure } from './sign-in-throttles.js';
import { TotpDevicesService } from './totp-devices.service.js';
import { frenchDateTime } from '../web/french/index.js';

type AccountAction = 'aidant.password_changed' | 'aidant.password_change_failed' | 'aidant.sessions_ended' | 'aidant.locked';

type ChangeFailure = 'bad_password' | 'bad_totp' | 'totp_replayed';

const FAILURE_FIELDS: Record<ChangeFailure, [string, string]> = {
  bad_password: ['current', 'Mot de passe actuel incorrect.'],
  bad_totp: ['totp', 'Code à usage unique incorrect : saisissez le code affiché maintenant.'],
  totp_replayed: ['totp', 'Ce code a déjà été utilisé : attendez le code suivant.'],
};


/**
 * The signed-in aidant's own account: password change (current password +
 * TOTP, ends the other sessions) and the list of their sessions, which they
 * may end. Each change is journaled in its transaction, in every chain the
 * account belongs to (référents see it).
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly aidants: AidantsService,
    private readonly devices: TotpDevicesService,
    private readonly journal: JournalService,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks the form, then the current password and a TOTP code; on success
   * sets the new password and ends every other session of the account, in
   * one transaction. Wrong passwords or codes are journaled and counted:
   * 5 within 15 minutes lock the form for 15 minutes. Returns when the
   * TOTP code was accepted (the session's new `totpAt`).
   */
  async changePassword(actor: AidantActor, currentSid: string, body: unknown, request: RequestFacts): Promise<number> {
    const form = new FormInput(body);
    const current = form.text('current', 'votre mot de passe actuel', { max: PASSWORD_MAX_LENGTH * 4, trim: false });
    const code = form.totp();
    const password = form.text('password', 'le nouveau mot de passe', { max: PASSWORD_MAX_LENGTH * 4, trim: false });
    const confirmation = form.text('confirmation', 'la confirmation du nouveau mot de passe', { max: PASSWORD_MAX_LENGTH * 4, trim: false });
    const account = await this.transactions.run((m) => this.aidants.getById(m, actor.aidantId));
    if (password) {
      const problem = passwordProblem(password, account);
      if (problem) form.fail('password', problem);
      else if (password === current) form.fail('password', 'Le nouveau mot de passe doit être différent du mot de passe actuel.');
      else if (password !== confirmation) form.fail('confirmation', 'Les deux saisies du nouveau mot de passe ne sont pas identiques.');
    }
    form.done();

    const key = `password-change:${actor.aidantId}`;
    const now = this.clock.now();
    // Counted before the check, in its own committed step, so parallel
    // attempts cannot all read "not locked" (same scheme as sign-in).
    const reservation = await this.transactions.run(async (m) => {
      const reserved = await reserveAttempt(m, key, now);
      if (reserved.lockStarted) {
        await this.appendEverywhere(m, actor.aidantId, request, 'aidant.locked', { scope: 'password_change', until: reserved.lockedUntil!.toISOString() }, true);
      }
      return reserved;
    });
    if (!reservation.admitted) throw new PasswordChangeLockedError(reservation.lockedUntil!, 'password change while locked');
    const currentOk = account.passwordHash !== null && (await verifyPassword(account.passwordHash, current));
    const newHash = currentOk ? await hashPassword(password) : null;

    const outcome = await this.transactions.run(async (m) => {
      const failure = !currentOk ? 'bad_password' : await this.totpFailure(m, actor.aidantId, code);
      if (failure) {
        await this.appendEverywhere(m, actor.aidantId, request, 'aidant.password_change_failed', { reason: failure });
        const lock = await settleFailure(m, reservation, now);
        if (lock) {
          await this.appendEverywhere(m, actor.aidantId, request, 'aidant.locked', { scope: 'password_change', until: lock.toISOString() }, true);
        }
        return { failure, lock };
      }
      await clearFailures(m, key);
      await this.aidants.setPassword(m, actor.aidantId, newHash!);
      const ended = await endSessionsOf(m, actor.aidantId, { kind: 'others', currentSid }, 'password_changed', now);
      await this.appendEverywhere(m, actor.aidantId, request, 'aidant.password_changed', { otherSessionsEnded: ended });
      return null;
    });
    if (outcome?.lock) throw new PasswordChangeLockedError(outcome.lock, 'password change failures reached the limit');
    if (outcome) {
      const [field, message] = FAILURE_FIELDS[outcome.failure];
      throw new ValidationError({ [field]: message }, `password change refused (${outcome.failure})`);
    }
    return now.getTime();
  }

  /** The account's usable sessions, the current one first. */
  async sessions(actor: AidantActor, currentSid: string) {
    const now = this.clock.nowMs();
    const sessions = await this.transactions.run((m) => liveSessionsOf(m, actor.aidantId, now, currentSid));
    return sessions.map((s) => ({
      handle: s.handle,
      current: s.current,
      device: s.device,
      ip: s.ip ?? 'inconnue',
      signedInAt: frenchDateTime(s.signedInAt),
      lastSeenAt: frenchDateTime(s.lastSeenAt),
    }));
  }

  /** "Terminer": one other session of the account, named by its handle. */
  async endOne(actor: AidantActor, currentSid: string, handle: unknown, request: RequestFacts): Promise<void> {
    const valid = typeof handle === 'string' && /^[0-9a-f]{64}$/.test(handle);
    await this.end(actor, valid ? { kind: 'one', handle, currentSid } : null, request);
  }

  /** "Terminer toutes les autres sessions". */
  async endOthers(actor: AidantActor, currentSid: string, request: RequestFacts): Promise<number> {
    return this.end(actor, { kind: 'others', currentSid }, request);
  }

  private async end(actor: AidantActor, selection: SessionSelection | null, request: RequestFacts): Promise<number> {
    return this.transactions.run(async (m) => {
      const count = selection ? await endSessionsOf(m, actor.aidantId, selection, 'aidant', this.clock.now()) : 0;
      if (selection?.kind === 'one' && count === 0) {
        throw new NotFoundError('Cette session n’existe pas ou est déjà terminée.', 'session to end not found');
      }
      if (!selection) throw new NotFoundError('Cette session n’existe pas ou est déjà terminée.', 'malformed session handle');
      if (count > 0) {
        await this.appendEverywhere(m, actor.aidantId, request, 'aidant.sessions_ended', { scope: selection.kind, count, reason: 'aidant' });
      }
      return count;
    });
  }

  private async totpFailure(m: EntityManager, aidantId: string, code: string): Promise<ChangeFailure | null> {
    const check = await this.devices.verify(m, aidantId, code);
    if (check.ok) return null;
    return check.reason === 'replayed' ? 'totp_replayed' : 'bad_totp';
  }

  private async appendEverywhere<A extends AccountAction>(
    m: EntityManager,
    aidantId: string,
    request: RequestFacts,
    action: A,
    details: JournalActionDetails[A],
    bySystem = false,
  ): Promise<void> {
    for (const structureId of await this.aidants.chainsOf(m, aidantId)) {
      await this.journal.append<A>(m, {
        action,
        structureId,
        actor: bySystem ? { type: 'system', id: null } : { type: 'aidant', id: aidantId },
        subjects: { aidantId },
        request,
        details,
      });
    }
  }
}
