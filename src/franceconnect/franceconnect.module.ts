import { Module } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { FranceConnectClient, franceConnectOptionsFrom } from './franceconnect.client.js';

/**
 * Provides the one `FranceConnectClient` of the service, built from the
 * configuration (whose issuer is the simulator's in development when
 * FC_ISSUER is unset). The pages and the transaction record that use it live
 * in the modules that own those flows.
 */
@Module({
  providers: [
    {
      provide: FranceConnectClient,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new FranceConnectClient(franceConnectOptionsFrom(config)),
    },
  ],
  exports: [FranceConnectClient],
})
export class FranceConnectModule {}
