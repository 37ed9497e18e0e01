import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { DEMARCHES } from '../demarches/demarches.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { MailService } from '../mail/mail.service.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { StructuresService } from '../structures/structures.service.js';
import type { AidantActor } from './aidant-actor.js';
import { AidantsService } from './aidants.service.js';
import { FormInput } from '../web/form-input.js';
import { invitationLink, InvitationsService } from './invitations.service.js';
import { membershipInvitationLink } from './membership-invitations.service.js';
import { ROLES, type Role } from './roles.js';
import { requireStructureAccess } from './structure-access.js';
import { TotpDevicesService } from './totp-devices.service.js';
import { frenchDateTime as parisDateTime } from '../web/french/index.js';

const STATUS_LABELS: Record<string, string> = {
  requested: 'Habilitation demandée',
  habilitated: 'Habilité',
  suspended: 'Habilitation suspendue',
  revoked: 'Habilitation retirée',
};

function frenchDateTime(at: Date | null): string {
  if (!at) return 'jamais';
  return parisDateTime(at);
}

/** The référent's pages: the aidants of their own structure, and nothing else. */
@Injectable()
export class ReferentService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly aidants: AidantsService,
    private readonly structures: StructuresService,
    private readonly invitations: InvitationsService,
    private readonly devices: TotpDevicesService,
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async overview(actor: AidantActor, structureId: string) {
    requireStructureAccess(actor, structureId);
    return this.transactions.run(async (m) => {
      const structure = await this.structures.getById(m, structureId);
      const members = [];
      for (const { membership, aidant } of await this.aidants.listForStructure(m, structureId)) {
        const devices = await this.devices.liveDevicesOf(m, aidant.id);
        members.push({
          id: aidant.id,
          name: `${aidant.givenName} ${aidant.familyName}`,
          email: aidant.email,
          profession: aidant.profession,
          roles: membership.roles,
          isReferent: membership.roles.includes('referent'),
          isSelf: aidant.id === actor.aidantId,
          status: STATUS_LABELS[aidant.habilitationStatus],
          activated: aidant.passwordHash !== null,
          suspended: membership.suspendedAt !== null,
          lastActivity: frenchDateTime(membership.lastSignedInAt),
          cards: devices.filter((d) => d.kind === 'card').map((d) => d.serial),
          devices: devices.map((d) => (d.kind === 'card' ? `carte ${d.serial} (${d.step} s)` : 'application')).join(', ') || 'aucun',
        });
      }
      return {
        pageTitle: 'Aidants de la structure',
        structure,
        members,
        demarches: DEMARCHES.map((d) => ({ ...d, allowed: structure.allowedDemarches.includes(d.id) })),
      };
    });
  }

  async invite(actor: AidantActor, structureId: string, body: unknown, request: RequestFacts) {
    requireStructureAccess(actor, structureId);
    const form = new FormInput(body);
    const email = form.email();
    const givenName = form.text('givenName', 'le prénom', { max: 100 });
    const familyName = form.text('familyName', 'le nom', { max: 100 });
    const profession = form.text('profession', 'la profession', { max: 100, required: false });
    const phone = form.text('phone', 'le téléphone', { max: 30, required: false });
    const roles = form.list('roles', 2).filter((r): r is Role => (ROLES as readonly string[]).includes(r));
    if (roles.length === 0) form.fail('roles', 'Choisissez au moins un rôle.');
    // Checked here for every email, not only when an account is created: a
    // refusal that depended on the email would tell which ones have accounts.
    if (!/^[0-9 +().-]{0,30}$/.test(phone)) {
      form.fail('phone', 'Le numéro de téléphone ne peut contenir que des chiffres, espaces, +, points et tirets (30 au plus).');
    }
    form.done();
    const result = await this.transactions.run((m) =>
      this.invitations.inviteToStructure(m, structureId, { email, givenName, familyName, profession, phone }, roles, { type: 'aidant', id: actor.aidantId }, request),
    );
    // The link goes to the person only, by mail; the référent's answer is the
    // same whether or not the email already had an account.
    const { aidant, invitation, membershipInvitation, structureName } = result;
    const { publicUrl } = this.config;
    if (invitation) await this.mail.invitation(aidant.email, aidant.givenName, invitationLink(publicUrl, invitation.token), invitation.expiresAt);
    if (membershipInvitation) {
      const link = membershipInvitationLink(publicUrl, membershipInvitation.token);
      await this.mail.membershipInvitation(aidant.email, aidant.givenName, structureName, link, membershipInvitation.expiresAt);
    }
    return { email };
  }

  async setSuspended(actor: AidantActor, structureId: string, aidantId: string, suspended: boolean, request: RequestFacts) {
    requireStructureAccess(actor, structureId);
    await this.transactions.run((m) =>
      this.aidants.setSuspended(m, structureId, aidantId, suspended, { type: 'aidant', id: actor.aidantId }, request),
    );
  }

  async setReferent(actor: AidantActor, structureId: string, aidantId: string, granted: boolean, request: RequestFacts) {
    requireStructureAccess(actor, structureId);
    await this.transactions.run((m) =>
      this.aidants.setRole(m, structureId, aidantId, 'referent', granted, { type: 'aidant', id: actor.aidantId }, request),
    );
  }

  async registerCard(actor: AidantActor, structureId: string, aidantId: string, body: unknown, request: RequestFacts) {
    requireStructureAccess(actor, structureId);
    const form = new FormInput(body);
    const serial = form.text('serial', 'le numéro de série de la carte', { max: 64 });
    const code = form.totp('totp', 'le code affiché par la carte');
    form.done();
    await this.transactions.run(async (m) => {
      await this.aidants.requireMember(m, structureId, aidantId);
      await this.devices.assignCard(m, structureId, aidantId, serial, code, { type: 'aidant', id: actor.aidantId }, request);
    });
  }

  async resynchroniseCard(actor: AidantActor, structureId: string, aidantId: string, body: unknown, request: RequestFacts) {
    requireStructureAccess(actor, structureId);
    const form = new FormInput(body);
    const serial = form.text('serial', 'le numéro de série de la carte', { max: 64 });
    const first = form.totp('totp', 'le premier code');
    const second = form.totp('totp2', 'le code suivant');
    form.done();
    await this.transactions.run(async (m) => {
      await this.aidants.requireMember(m, structureId, aidantId);
      await this.devices.resynchroniseCard(m, serial, first, second, { type: 'aidant', id: actor.aidantId }, { structureId, aidantId }, request);
    });
  }

  /** Disables a card of a member (lost, broken), after the confirmation page. */
  async disableCard(actor: AidantActor, structureId: string, aidantId: string, body: unknown, request: RequestFacts) {
    requireStructureAccess(actor, structureId);
    const form = new FormInput(body);
    const serial = form.text('serial', 'le numéro de série de la carte', { max: 64 });
    form.done();
    await this.transactions.run(async (m) => {
      await this.aidants.requireMember(m, structureId, aidantId);
      await this.devices.revokeCard(m, serial, { type: 'aidant', id: actor.aidantId }, { structureId, aidantId }, request);
    });
  }

  async restrictDemarches(actor: AidantActor, structureId: string, body: unknown, request: RequestFacts) {
    requireStructureAccess(actor, structureId);
    const form = new FormInput(body);
    const demarches = form.list('demarches', DEMARCHES.length);
    form.done();
    await this.transactions.run((m) =>
      this.structures.restrictDemarches(m, structureId, demarches, { type: 'aidant', id: actor.aidantId }, request),
    );
  }
}
