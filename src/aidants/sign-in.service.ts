import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { JournalActionDetails } from '../journal/journal.actions.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { MailService } from '../mail/mail.service.js';
import type { Aidant } from './aidant.entity.js';
import { AccessSuspendedError, SignInLockedError, SignInRefusedError } from './aidants.errors.js';
import { AidantsService, type MembershipView } from './aidants.service.js';
import { dummyPasswordHash, verifyPassword } from './password-hasher.js';
import { clearFailures, holdLock, reserveAttempt, settleFailure, settleSuccess, throttleKeys } from './sign-in-throttles.js';
import { TotpDevicesService } from './totp-devices.service.js';

/** Why a sign-in was refused: each one is journaled, so the journal's catalogue holds the list. */
export type SignInFailure = JournalActionDetails['aidant.sign_in_failed']['reason'];

export interface SignedIn {
  aidant: Aidant;
  /** Structures where the aidant may act now (active structure, membership not suspended). */
  memberships: MembershipView[];
}

/** Email + password + TOTP, with per-account and per-IP throttling; every attempt journaled. */
@Injectable()
export class SignInService {
  private readonly logger = new Logger('SignIn');

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly aidants: AidantsService,
    private readonly devices: TotpDevicesService,
    private readonly journal: JournalService,
    private readonly clock: Clock,
    private readonly mail: MailService,
  ) {}

  async signIn(email: string, password: string, totp: string, request: RequestFacts): Promise<SignedIn> {
    const keys = throttleKeys(email, request.ip);
    const now = this.clock.now();
    const aidant = await this.transactions.run((m) => this.aidants.findByEmail(m, email));
    // Counted and committed before the password is checked (see sign-in-throttles.ts).
    const gate = await this.transactions.run(async (m) => {
      const reservations = { account: await reserveAttempt(m, keys.account, now), ip: await reserveAttempt(m, keys.ip, now) };
      const refused = Object.values(reservations).filter((r) => !r.admitted);
      if (refused.length > 0) {
        await this.journalFailure(m, aidant, 'locked', request);
        for (const scope of ['account', 'ip'] as const) {
          const r = reservations[scope];
          if (r.lockStarted) await this.journalLock(m, aidant, scope, r.lockedUntil!, request);
        }
      }
      const until = refused.map((r) => r.lockedUntil!.getTime());
      return { reservations, until: until.length > 0 ? new Date(Math.max(...until)) : null, accountLockStarted: reservations.account.lockStarted };
    });
    if (gate.until) {
      if (gate.accountLockStarted && aidant) await this.mail.lockoutNotice(aidant.email, gate.until);
      throw new SignInLockedError(gate.until, 'sign-in while locked');
    }
    const { reservations } = gate;

    // Same argon2 work whether or not the account exists (no enumeration by timing).
    const passwordOk = await verifyPassword(aidant?.passwordHash ?? (await dummyPasswordHash()), password);

    const outcome = await this.transactions.run(async (m) => {
      // Throttle rows first (account, then address), as the gate takes them.
      const lockedNow = await holdLock(m, [keys.account, keys.ip], now);
      const failure = (await this.firstFactorFailure(aidant, passwordOk)) ?? (lockedNow ? 'locked' : null);
      const totpFailure = failure ?? (await this.secondFactorFailure(m, aidant!, totp));
      if (totpFailure) {
        let lock = lockedNow;
        const started: ['account' | 'ip', Date][] = [];
        for (const scope of ['account', 'ip'] as const) {
          const until = await settleFailure(m, reservations[scope], now);
          if (until) {
            lock = until;
            started.push([scope, until]);
          }
        }
        await this.journalFailure(m, aidant, totpFailure, request);
        for (const [scope, until] of started) await this.journalLock(m, aidant, scope, until, request);
        return { kind: 'refused' as const, reason: totpFailure, lock, accountLocked: started.some(([scope]) => scope === 'account') };
      }
      await clearFailures(m, keys.account);
      await settleSuccess(m, reservations.ip);
      const memberships = (await this.aidants.membershipsOf(m, aidant!.id)).filter(
        (ms) => ms.structure.active && !ms.suspended,
      );
      const denied: SignInFailure | null =
        aidant!.habilitationStatus !== 'habilitated' ? 'not_habilitated' : memberships.length === 0 ? 'no_active_structure' : null;
      if (denied) {
        await this.journalFailure(m, aidant, denied, request);
        return { kind: 'denied' as const, reason: denied };
      }
      const current = memberships.length === 1 ? memberships[0]!.structure.id : null;
      await this.aidants.recordSignIn(m, aidant!.id, current);
      for (const ms of memberships) {
        await this.journal.append(m, {
          action: 'aidant.signed_in',
          structureId: ms.structure.id,
          actor: { type: 'aidant', id: aidant!.id },
          subjects: { aidantId: aidant!.id },
          request,
          details: { method: 'password+totp', currentStructure: ms.structure.id === current },
        });
      }
      return { kind: 'ok' as const, memberships };
    });

    if (outcome.kind === 'refused') {
      this.logger.log({ reason: outcome.reason }, 'sign-in refused');
      if (outcome.lock) {
        // The account's owner hears of it (an attack shows), after the commit.
        if (outcome.accountLocked && aidant) await this.mail.lockoutNotice(aidant.email, outcome.lock);
        throw new SignInLockedError(outcome.lock, 'sign-in failures reached the limit');
      }
      throw new SignInRefusedError(`sign-in refused (${outcome.reason})`);
    }
    if (outcome.kind === 'denied') {
      throw new AccessSuspendedError(
        outcome.reason === 'not_habilitated'
          ? 'Votre habilitation n’est pas active (en attente, suspendue ou retirée) : vous ne pouvez pas vous connecter. Contactez votre référent.'
          : 'Aucune de vos structures n’est active ou votre accès y est suspendu : vous ne pouvez pas vous connecter. Contactez votre référent.',
        `sign-in denied (${outcome.reason})`,
      );
    }
    return { aidant: aidant!, memberships: outcome.memberships };
  }

  private async firstFactorFailure(aidant: Aidant | null, passwordOk: boolean): Promise<SignInFailure | null> {
    if (!aidant) return 'unknown_account';
    if (aidant.passwordHash === null) return 'not_activated';
    return passwordOk ? null : 'bad_password';
  }

  private async secondFactorFailure(
    m: EntityManager,
    aidant: Aidant,
    totp: string,
  ): Promise<SignInFailure | null> {
    const check = await this.devices.verify(m, aidant.id, totp);
    if (check.ok) return null;
    return check.reason === 'replayed' ? 'totp_replayed' : check.reason === 'no_device' ? 'no_totp_device' : 'bad_totp';
  }

  private async journalFailure(
    m: EntityManager,
    aidant: Aidant | null,
    reason: SignInFailure,
    request: RequestFacts,
  ): Promise<void> {
    // An unknown email: national chain, and nothing about the person (not even the email).
    const chains = aidant ? await this.aidants.chainsOf(m, aidant.id) : [null];
    for (const structureId of chains) {
      await this.journal.append(m, {
        action: 'aidant.sign_in_failed',
        structureId,
        actor: aidant ? { type: 'aidant', id: aidant.id } : { type: 'system', id: null },
        subjects: aidant ? { aidantId: aidant.id } : undefined,
        request,
        details: { reason },
      });
    }
  }

  private async journalLock(
    m: EntityManager,
    aidant: Aidant | null,
    scope: 'account' | 'ip',
    until: Date,
    request: RequestFacts,
  ): Promise<void> {
    const chains = aidant ? await this.aidants.chainsOf(m, aidant.id) : [null];
    for (const structureId of chains) {
      await this.journal.append(m, {
        action: 'aidant.locked',
        structureId,
        actor: { type: 'system', id: null },
        subjects: aidant ? { aidantId: aidant.id } : undefined,
        request,
        details: { scope, until: until.toISOString() },
      });
    }
  }
}
