import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '../config/config.js';
import { AidantsModule } from './aidants/aidants.module.js';
import { Clock, ClockModule } from './clock/clock.js';
import { DatabaseModule } from './database/database.module.js';
import { FranceConnectModule } from './franceconnect/franceconnect.module.js';
import { HealthModule } from './health/health.module.js';
import { JournalModule } from './journal/journal.module.js';
import { PartnersModule } from './partners/partners.module.js';
import { ProviderModule } from './provider/provider.module.js';
import { loggerParams } from './logging.js';
import { withLogDestination } from './logging-redaction.js';
import { MailModule } from './mail/mail.module.js';
import { MandatesModule } from './mandates/mandates.module.js';
import { NoticesModule } from './notices/notices.module.js';
import { RemoteConsentModule } from './remote-consent/remote-consent.module.js';
import { AppConfigModule } from './shared/app-config.module.js';
import { StructuresModule } from './structures/structures.module.js';
import { UsagersModule } from './usagers/usagers.module.js';
import { SupervisionModule } from './supervision/supervision.module.js';
import { WebModule } from './web/web.module.js';

/** The whole service, built for one configuration and one database URL. */
@Module({})
export class AppModule {
  static register(config: AppConfig, databaseUrl: string, clock?: Clock, logDestination?: DestinationStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(withLogDestination(loggerParams(config), logDestination)),
        DatabaseModule.forRoot({
          url: databaseUrl,
          poolSize: config.databasePoolSize,
          runMigrations: config.migrationsRunAtStart,
        }),
        ClockModule.forRoot(clock),
        HealthModule,
        JournalModule,
        WebModule,
        MailModule,
        StructuresModule,
        AidantsModule,
        FranceConnectModule,
        UsagersModule,
        MandatesModule,
        SupervisionModule,
        PartnersModule,
        ProviderModule,
        NoticesModule,
        RemoteConsentModule,
      ],
    };
  }
}
