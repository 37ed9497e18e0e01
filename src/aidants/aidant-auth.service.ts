import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import type { AidantSession } from '../sessions/session-data.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import type { AidantActor } from './aidant-actor.js';
import { AidantsService, type MembershipView } from './aidants.service.js';
import type { SignedIn } from './sign-in.service.js';
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
  ) {}

  newSession(signedIn: SignedIn): AidantSession {
    const now = this.clock.nowMs();
    const only = signedIn.memberships.length === 1 ? signedIn.memberships[0]!.structure.id : null;
    return { aidantId: signedIn.aidant.id, structureId: only, signedInAt: now, lastSeenAt: now, totpAt: now };
  }

  /** Structures the aidant may act in now. */
  usableMemberships(aidantId: string): Promise<MembershipView[]> {
    return this.transactions.run(async (m) =>
      (await this.aidants.membershipsOf(m, aidantId)).filter((ms) => ms.structure.active && !ms.suspended),
    );
  }

  /** Changes the current structure (journaled in the structure entered). */
  async switchStructure(session: AidantSession, structureId: unknown, request: RequestFacts): Promise<void> {
    if (typeof structureId !== 'string') throw new ValidationError({ structure: 'Choisissez une structure.' });
    await this.transactions.run(async (m) => {
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
    });
    session.structureId = structureId;
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
    });
  }

  /**
   * Checks a fresh TOTP code inside the caller's transaction (for forms that
   * carry a `totp` field, such as a mandate's confirmation) and journals it.
   * Throws a ValidationError bound to the `totp` field when it is wrong.
   */
  async confirmTotp(manager: EntityManager, actor: Pick<AidantActor, 'aidantId' | 'structureId'>, code: string, request?: RequestFacts) {
    const check = /^\d{6}$/.test(code) ? await this.devices.verify(manager, actor.aidantId, code) : null;
    if (!check?.ok) {
      throw new ValidationError({
        totp:
          check?.reason === 'replayed'
            ? 'Ce code a déjà été utilisé : attendez le code suivant.'
            : 'Code à usage unique incorrect : saisissez le code affiché maintenant.',
      });
    }
    await this.journal.append(manager, {
      action: 'aidant.totp_reauthenticated',
      structureId: actor.structureId,
      actor: { type: 'aidant', id: actor.aidantId },
      subjects: { aidantId: actor.aidantId },
      request,
      details: { device: check.kind },
    });
    return this.clock.nowMs();
  }

  /** `/aidant/reauthentification`: a new code makes the session's TOTP fresh again. */
  async reauthenticate(session: AidantSession, actor: AidantActor, code: string, request: RequestFacts): Promise<void> {
    session.totpAt = await this.transactions.run((m) => this.confirmTotp(m, actor, code, request));
  }
}
