import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FranceConnectModule } from '../franceconnect/franceconnect.module.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';

@Module({
  imports: [TerminusModule, FranceConnectModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
