import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StructuresModule } from '../structures/structures.module.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { Aidant } from './aidant.entity.js';
import { AidantAuthService } from './aidant-auth.service.js';
import { AidantSignOutHooks } from './aidant-sign-out.hooks.js';
import { AidantSessionController } from './aidant-session.controller.js';
import { ActingAidantGuard, RecentTotpGuard, ReferentGuard, SignedInAidantGuard } from './aidant-session.guard.js';
import { AidantsService } from './aidants.service.js';
import { InvitationPagesService } from './invitation-pages.service.js';
import { InvitationController } from './invitation.controller.js';
import { Invitation } from './invitation.entity.js';
import { InvitationsService } from './invitations.service.js';
import { LocalStrategy } from './local.strategy.js';
import { ReferentController } from './referent.controller.js';
import { ReferentConfirmationsService } from './referent-confirmations.service.js';
import { ReferentService } from './referent.service.js';
import { Membership } from './membership.entity.js';
import { MembershipInvitation } from './membership-invitation.entity.js';
import { MembershipInvitationController } from './membership-invitation.controller.js';
import { MembershipInvitationsService } from './membership-invitations.service.js';
import { SignInThrottle } from './sign-in-throttle.entity.js';
import { SignInService } from './sign-in.service.js';
import { TotpDevice } from './totp-device.entity.js';
import { TotpDevicesService } from './totp-devices.service.js';

/**
 * Aidants: accounts, habilitation, memberships and roles, TOTP devices,
 * invitations, sign-in and the guards every aidant route uses.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Aidant, Membership, MembershipInvitation, TotpDevice, Invitation, SignInThrottle]),
    PassportModule,
    StructuresModule,
  ],
  controllers: [AidantSessionController, AccountController, InvitationController, MembershipInvitationController, ReferentController],
  providers: [
    AidantsService,
    TotpDevicesService,
    InvitationsService,
    MembershipInvitationsService,
    InvitationPagesService,
    SignInService,
    AidantAuthService,
    AccountService,
    AidantSignOutHooks,
    ReferentService,
    ReferentConfirmationsService,
    LocalStrategy,
    SignedInAidantGuard,
    ReferentGuard,
    RecentTotpGuard,
    ActingAidantGuard,
  ],
  exports: [
    AidantsService,
    TotpDevicesService,
    InvitationsService,
    AidantAuthService,
    AidantSignOutHooks,
    SignedInAidantGuard,
    ReferentGuard,
    RecentTotpGuard,
    ActingAidantGuard,
  ],
})
export class AidantsModule {}
