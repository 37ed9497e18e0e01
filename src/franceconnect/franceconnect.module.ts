import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { FranceConnectTransaction } from './franceconnect-transaction.entity.js';
import { FranceConnectClient, franceConnectOptionsFrom } from './franceconnect.client.js';
import { FranceConnectController } from './franceconnect.controller.js';
import { FranceConnectFlowService } from './franceconnect-flow.service.js';
import { FranceConnectStatusService } from './franceconnect-status.service.js';
import { IdTokenHintSeal } from './id-token-hint-seal.js';

/**
 * The relying party towards FranceConnect: the one `FranceConnectClient`
 * (built from the configuration, whose issuer is the simulator's in
 * development when FC_ISSUER is unset), the server-side transactions, the
 * callback and post-logout routes, and `FranceConnectFlowService`, through
 * which other modules start a round trip for their own intent.
 */
@Module({
  imports: [TypeOrmModule.forFeature([FranceConnectTransaction])],
  controllers: [FranceConnectController],
  providers: [
    {
      provide: FranceConnectClient,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new FranceConnectClient(franceConnectOptionsFrom(config)),
    },
    FranceConnectFlowService,
    IdTokenHintSeal,
    FranceConnectStatusService,
  ],
  exports: [FranceConnectClient, FranceConnectFlowService, IdTokenHintSeal, FranceConnectStatusService],
})
export class FranceConnectModule {}
