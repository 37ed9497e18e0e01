import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { NotFoundError } from '../shared/domain-error.js';
import type { Actor } from '../structures/actor.js';
import { StructuresService } from '../structures/structures.service.js';
import type { Aidant } from './aidant.entity.js';
import { AidantsService } from './aidants.service.js';
import { InvitationUnusableError } from './aidants.errors.js';
import { hashToken, INVITATION_LIFETIME_MS } from './invitation-token.js';
import { MembershipInvitation } from './membership-invitation.entity.js';
import type { Role } from './roles.js';

/** The link mailed to an account's owner to join a structure (token in the query, never logged). */
export function membershipInvitationLink(publicUrl: string, token: string): string {
  return `${publicUrl}/aidant/rejoindre?jeton=${token}`;
}

/**
 * Pending memberships: a référent who invites an email that already has an
 * account only *offers* a place in the structure. The account's owner,
 * signed in, accepts or declines; until then the référent can change nothing
 * of the account (membership, roles, second factors).
 */
@Injectable()
export class MembershipInvitationsService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly aidants: AidantsService,
    private readonly structures: StructuresService,
    private readonly journal: JournalService,
    private readonly clock: Clock,
  ) {}

  /** Offers the structure to the account; an earlier pending offer of the same structure stops working. */
  async offer(
    manager: EntityManager,
    aidant: Aidant,
    structureId: string,
    roles: readonly Role[],
    actor: Actor,
    request?: RequestFacts,
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = this.clock.now();
    await manager.update(
      MembershipInvitation,
      { aidantId: aidant.id, structureId, answeredAt: IsNull() },
      { answeredAt: now, answer: 'replaced' },
    );
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + INVITATION_LIFETIME_MS);
    await manager.save(
      manager.create(MembershipInvitation, {
        aidantId: aidant.id,
        structureId,
        roles: [...roles],
        tokenHash: hashToken(token),
        invitedBy: actor.type === 'aidant' ? actor.id : null,
        expiresAt,
        answeredAt: null,
        answer: null,
      }),
    );
    await this.journal.append(manager, {
      action: 'aidant.invited',
      structureId,
      actor,
      subjects: { aidantId: aidant.id },
      request,
      details: { roles: [...roles], newAccount: false, invitationExpiresAt: expiresAt.toISOString(), awaitingAcceptance: true },
    });
    return { token, expiresAt };
  }

  /** `/aidant/rejoindre`: the offer, for the signed-in aidant it was sent to. */
  async pending(aidantId: string, token: string) {
    const { invitation, structure } = await this.transactions.run((m) => this.open(m, token, aidantId));
    return { token, structureName: structure.name, roles: invitation.roles, expiresAt: invitation.expiresAt };
  }

  /** The signed-in aidant's answer, in one transaction with its journal entry. */
  respond(aidantId: string, token: string, accept: boolean, request: RequestFacts) {
    return this.transactions.run((m) => this.answer(m, token, aidantId, accept, request));
  }

  /** The signed-in aidant's pending offer; someone else's token is "not found", like an unknown one. */
  async open(manager: EntityManager, token: string, aidantId: string, lock = false) {
    const invitation = /^[A-Za-z0-9_-]{20,100}$/.test(token)
      ? await manager.findOne(MembershipInvitation, {
          where: { tokenHash: hashToken(token) },
          ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        })
      : null;
    if (!invitation || invitation.aidantId !== aidantId) {
      throw new NotFoundError(
        'Cette invitation n’existe pas ou ne vous est pas destinée : connectez-vous avec le compte qui a reçu le courriel.',
        'unknown membership invitation for this aidant',
      );
    }
    if (invitation.answeredAt !== null || invitation.expiresAt.getTime() <= this.clock.nowMs()) {
      throw new InvitationUnusableError(
        'Cette invitation a déjà reçu une réponse, a été remplacée ou a expiré (elle est valable 72 heures). Demandez au référent de la structure de vous inviter à nouveau.',
        'membership invitation answered or expired',
      );
    }
    const structure = await this.structures.getById(manager, invitation.structureId);
    return { invitation, structure };
  }

  /** Accepts (the membership starts now, with the offered roles) or declines; journaled in the structure's chain. */
  async answer(manager: EntityManager, token: string, aidantId: string, accept: boolean, request?: RequestFacts) {
    const { invitation, structure } = await this.open(manager, token, aidantId, true);
    if (accept) await this.aidants.addMembership(manager, aidantId, invitation.structureId, invitation.roles);
    const answer = accept ? 'accepted' : 'declined';
    await manager.update(MembershipInvitation, { id: invitation.id }, { answeredAt: this.clock.now(), answer });
    await this.journal.append(manager, {
      action: accept ? 'aidant.membership_accepted' : 'aidant.membership_declined',
      structureId: invitation.structureId,
      actor: { type: 'aidant', id: aidantId },
      subjects: { aidantId },
      request,
      details: { roles: [...invitation.roles], invitedBy: invitation.invitedBy },
    });
    return { structure, accepted: accept };
  }
}
