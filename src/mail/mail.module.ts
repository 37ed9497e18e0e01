import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { MailService } from './mail.service.js';
import { Mailer, OutboxMailer, SmtpMailer } from './mailer.js';
import { OutboxController } from './outbox.controller.js';

/** Mails: SMTP when SMTP_URL is set, otherwise the database outbox. */
@Global()
@Module({
  controllers: [OutboxController],
  providers: [
    {
      provide: Mailer,
      inject: [APP_CONFIG, DataSource],
      useFactory: (config: AppConfig, dataSource: DataSource): Mailer =>
        config.mail.smtpUrl ? new SmtpMailer(config.mail.smtpUrl, config.mail.from) : new OutboxMailer(dataSource),
    },
    MailService,
  ],
  exports: [MailService, Mailer],
})
export class MailModule implements OnApplicationShutdown {
  constructor(private readonly moduleRef: ModuleRef) {}

  onApplicationShutdown(): void {
    const mailer = this.moduleRef.get(Mailer);
    if (mailer instanceof SmtpMailer) mailer.close();
  }
}
