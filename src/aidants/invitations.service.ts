import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import { Clock } from '../clock/clock.js';
import { JournalService } from '../journal/journal.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { NotFoundError, ValidationError } from '../shared/domain-error.js';
import type { Aidant } from './aidant.entity.js';
import type { Actor } from '../structures/actor.js';
import { StructuresService } from '../structures/structures.service.js';
import { AidantsService, type NewAidant } from './aidants.service.js';
import { EmailTakenError, InvitationUnusableError } from './aidants.errors.js';
import type { Role } from './roles.js';
import { Invitation } from './invitation.entity.js';
import { hashToken, INVITATION_LIFETIME_MS } from './invitation-token.js';
import { MembershipInvitationsService } from './membership-invitations.service.js';
import { hashPassword } from './password-hasher.js';
import { passwordProblem } from './password-policy.js';
import { TotpDevicesService } from './totp-devices.service.js';

export { hashToken, INVITATION_LIFETIME_MS };

/**
 * The link of an invitation. The token travels in the query string, which
 * the request logs leave out (paths are logged, queries are not).
 */
export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl}/aidant/invitation?jeton=${token}`;
}

export interface IssuedInvitation {
  token: string;
  expiresAt: Date;
}

/** What an invitation produced: an activation link (new account) or a membership offer (existing one). */
export interface InvitedPerson {
  aidant: Aidant;
  structureName: string;
  invitation: IssuedInvitation | null;
  membershipInvitation: IssuedInvitation | null;
}

/** One-time links (72 h) to set a password and enrol an authenticator app. */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly aidants: AidantsService,
    private readonly structures: StructuresService,
    private readonly devices: TotpDevicesService,
    private readonly memberships: MembershipInvitationsService,
    private readonly journal: JournalService,
    private readonly clock: Clock,
  ) {}

  /** Issues a new link; earlier unused links of the same aidant stop working. */
  async issue(manager: EntityManager, aidantId: string): Promise<IssuedInvitation> {
    const now = this.clock.now();
    await manager.update(Invitation, { aidantId, usedAt: IsNull() }, { usedAt: now });
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + INVITATION_LIFETIME_MS);
    await manager.save(manager.create(Invitation, { aidantId, tokenHash: hashToken(token), expiresAt, usedAt: null }));
    return { token, expiresAt };
  }

  /**
   * Invites a person to a structure. A new email gets an account (status
   * `requested`, no password), its membership and an activation link. An
   * email that already has an account gets nothing added: only an offer that
   * its owner accepts while signed in (MembershipInvitationsService). The
   * caller mails whichever link comes back and shows the référent the same
   * answer in both cases, so the page does not tell whether the account exists.
   */
  async inviteToStructure(
    manager: EntityManager,
    structureId: string,
    person: NewAidant,
    roles: readonly Role[],
    actor: Actor,
    request?: RequestFacts,
  ): Promise<InvitedPerson> {
    const structure = await this.structures.getById(manager, structureId);
    const existing = await this.aidants.findByEmail(manager, person.email);
    if (existing) {
      // Members are listed on the référent's page already: saying so reveals nothing.
      if (await this.aidants.membership(manager, existing.id, structureId)) {
        throw new EmailTakenError('Cette personne fait déjà partie de la structure.', 'already a member');
      }
      const offer = await this.memberships.offer(manager, existing, structureId, roles, actor, request);
      return { aidant: existing, structureName: structure.name, invitation: null, membershipInvitation: offer };
    }
    const aidant = await this.aidants.create(manager, person, actor);
    await this.aidants.addMembership(manager, aidant.id, structureId, roles);
    const invitation = await this.issue(manager, aidant.id);
    await this.journal.append(manager, {
      action: 'aidant.invited',
      structureId,
      actor,
      subjects: { aidantId: aidant.id },
      request,
      details: { roles: [...roles], newAccount: true, invitationExpiresAt: invitation.expiresAt.toISOString() },
    });
    return { aidant, structureName: structure.name, invitation, membershipInvitation: null };
  }

  /** Operator: forgets the password, ends every session and issues a new link (the same flow as an invitation). */
  async resetPassword(manager: EntityManager, email: string, actor: Actor): Promise<{ aidant: Aidant; invitation: IssuedInvitation }> {
    const aidant = await this.aidants.findByEmail(manager, email);
    if (!aidant) throw new NotFoundError('Aucun aidant n’a cette adresse électronique.', 'unknown aidant email');
    await this.aidants.clearPassword(manager, aidant.id);
    const invitation = await this.issue(manager, aidant.id);
    const chains = await this.aidants.chainsOf(manager, aidant.id);
    await this.aidants.endAllSessions(manager, aidant.id, 'password_reset', actor, chains);
    for (const structureId of chains) {
      await this.journal.append(manager, {
        action: 'aidant.invited',
        structureId,
        actor,
        subjects: { aidantId: aidant.id },
        details: { roles: [], newAccount: false, invitationExpiresAt: invitation.expiresAt.toISOString(), passwordReset: true },
      });
    }
    return { aidant, invitation };
  }

  /** The aidant a usable link is for; unknown → 404, used or expired → 410. */
  async open(manager: EntityManager, token: string, lock = false): Promise<{ invitation: Invitation; aidant: Aidant }> {
    const invitation = /^[A-Za-z0-9_-]{20,100}$/.test(token)
      ? await manager.findOne(Invitation, {
          where: { tokenHash: hashToken(token) },
          ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        })
      : null;
    if (!invitation) throw new NotFoundError('Ce lien d’invitation n’existe pas.', 'unknown invitation token');
    if (invitation.usedAt !== null || invitation.expiresAt.getTime() <= this.clock.nowMs()) {
      throw new InvitationUnusableError(
        'Ce lien d’invitation a déjà servi ou a expiré (il est valable 72 heures et une seule fois). Demandez à votre référent une nouvelle invitation.',
        'invitation used or expired',
      );
    }
    const aidant = await this.aidants.getById(manager, invitation.aidantId);
    return { invitation, aidant };
  }

  /** Sets the password and the app, consumes the link, journals the activation. */
  async accept(
    manager: EntityManager,
    token: string,
    input: { password: string; confirmation: string; secret: string; totp: string },
    request?: RequestFacts,
  ): Promise<Aidant> {
    const { invitation, aidant } = await this.open(manager, token, true);
    const fields: Record<string, string> = {};
    const problem = passwordProblem(input.password, aidant);
    if (problem) fields.password = problem;
    else if (input.password !== input.confirmation) fields.confirmation = 'Les deux mots de passe ne sont pas identiques.';
    if (!/^\d{6}$/.test(input.totp)) fields.totp = 'Le code à usage unique est composé de 6 chiffres.';
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    if (!(await this.devices.enrolApp(manager, aidant.id, input.secret, input.totp))) {
      throw new ValidationError({
        totp: 'Ce code ne correspond pas : vérifiez que l’application a bien enregistré le QR code et saisissez le code affiché maintenant.',
      });
    }
    await this.aidants.setPassword(manager, aidant.id, await hashPassword(input.password));
    await manager.update(Invitation, { id: invitation.id }, { usedAt: this.clock.now() });
    for (const structureId of await this.aidants.chainsOf(manager, aidant.id)) {
      await this.journal.append(manager, {
        action: 'aidant.activated',
        structureId,
        actor: { type: 'aidant', id: aidant.id },
        subjects: { aidantId: aidant.id },
        request,
        details: { totpDevice: 'app' },
      });
    }
    return aidant;
  }
}
