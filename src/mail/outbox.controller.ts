import { Controller, Get, Inject, Render, Req } from '@nestjs/common';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { NotFoundError } from '../shared/domain-error.js';
import { isLoopbackAddress } from '../shared/loopback.js';

/**
 * `/dev/outbox`: the mails kept in the database, in development only and to
 * a browser on the machine itself (404 elsewhere): they carry invitation
 * links, one-time credentials. The client is the one the trusted proxy names
 * when TRUST_PROXY is set.
 */
@Controller('dev/outbox')
export class OutboxController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Render('mail/views/outbox.njk')
  async list(@Req() req: Request) {
    if (this.config.nodeEnv !== 'development' || this.config.mail.smtpUrl || !isLoopbackAddress(req.ip)) {
      throw new NotFoundError('La page demandée n’existe pas.', 'outbox outside development');
    }
    const mails: { recipient: string; subject: string; body: string; created_at: Date }[] = await this.dataSource.query(
      `SELECT recipient, subject, body, created_at FROM mail_outbox ORDER BY created_at DESC LIMIT 100`,
    );
    return { pageTitle: 'Boîte d’envoi (développement)', mails };
  }
}
