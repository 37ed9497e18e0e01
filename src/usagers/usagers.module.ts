import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FranceConnectModule } from '../franceconnect/franceconnect.module.js';
import { SignedInUsagerGuard } from './usager-session.guard.js';
import { UsagerSessionService } from './usager-session.service.js';
import { Usager } from './usager.entity.js';
import { UsagersController } from './usagers.controller.js';
import { UsagersService } from './usagers.service.js';

/**
 * Usagers: the identity FranceConnect reports (keyed by the hash of the
 * `sub`), the usager's own session (sign-in with FranceConnect) and their
 * space at /usager.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Usager]), FranceConnectModule],
  controllers: [UsagersController],
  providers: [UsagersService, UsagerSessionService, SignedInUsagerGuard],
  exports: [UsagersService, UsagerSessionService, SignedInUsagerGuard],
})
export class UsagersModule {}
