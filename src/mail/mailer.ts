import { Logger } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { DataSource } from 'typeorm';

export interface OutgoingMail {
  to: string;
  subject: string;
  /** Plain text, French. */
  text: string;
}

/**
 * Where mails go. Two real implementations: SMTP (SMTP_URL set) and the
 * database outbox (development without a mail server, read at /dev/outbox).
 * Mails are sent after the use case's transaction commits.
 */
export abstract class Mailer {
  abstract readonly kind: 'smtp' | 'outbox';
  abstract send(mail: OutgoingMail): Promise<void>;
}

export class SmtpMailer extends Mailer {
  readonly kind = 'smtp';
  private readonly transport: Transporter;

  constructor(smtpUrl: string, private readonly from: string) {
    super();
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }

  close(): void {
    this.transport.close();
  }
}

export class OutboxMailer extends Mailer {
  readonly kind = 'outbox';
  private readonly logger = new Logger('Outbox');

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.dataSource.query(`INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3)`, [
      mail.to,
      mail.subject,
      mail.text,
    ]);
    this.logger.log('mail kept in the outbox (no SMTP_URL): see /dev/outbox');
  }
}
