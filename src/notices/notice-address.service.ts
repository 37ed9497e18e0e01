import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { RequestFacts } from '../journal/journal.types.js';
import { JournalService } from '../journal/journal.service.js';
import { Mailer } from '../mail/mailer.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { DomainError, ValidationError } from '../shared/domain-error.js';
import { addressHash } from '../shared/digests.js';

export type NoticeMode = 'each' | 'daily' | 'none';
export const NOTICE_MODES: readonly NoticeMode[] = ['each', 'daily', 'none'];

/** A confirmation link lives this long. */
export const CONFIRMATION_HOURS = 24;
/** At most this many links a day per usager: the page cannot be used to flood someone's mailbox. */
export const LINKS_PER_DAY = 5;

/** The confirmation link is unknown, used or expired (one answer for all three). */
export class NoticeLinkError extends DomainError {
  readonly code = 'notice_address.link_invalid';
  readonly status = 410;
  readonly title = 'Lien expiré ou déjà utilisé';
}

export interface NoticeSettings {
  /** The confirmed address, if any. */
  email: string | null;
  mode: NoticeMode;
  bounced: boolean;
  /** An address waiting for its confirmation link, if any. */
  pendingEmail: string | null;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The usager's address for notices: a new address is used only once its
 * owner followed the link mailed to it (single use, 24 hours, only its
 * SHA-256 kept). Changing only the frequency of a confirmed address, or
 * choosing no notices, needs no link.
 */
@Injectable()
export class NoticeAddressService {
  private readonly logger = new Logger('Notices');

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly mailer: Mailer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  settings(usagerId: string): Promise<NoticeSettings> {
    return this.transactions.read(async (m) => {
      const [address]: Array<{ email: string; mode: NoticeMode; bounced: boolean }> = await m.query(
        `SELECT email, mode, bounced_at IS NOT NULL AS bounced FROM notice_addresses WHERE usager_id = $1 AND confirmed_at IS NOT NULL`,
        [usagerId],
      );
      const [pending]: Array<{ email: string }> = await m.query(
        `SELECT email FROM notice_address_tokens WHERE usager_id = $1 AND used_at IS NULL AND expires_at > now()
          ORDER BY created_at DESC LIMIT 1`,
        [usagerId],
      );
      return { email: address?.email ?? null, mode: address?.mode ?? 'none', bounced: address?.bounced ?? false, pendingEmail: pending?.email ?? null };
    });
  }

  /**
   * Records the usager's choice. Returns `confirmed` when it applies at once
   * (same confirmed address, or no notices), `link_sent` when a link went to
   * the new address.
   */
  async choose(usagerId: string, choice: { email: string; mode: NoticeMode }, request: RequestFacts): Promise<'confirmed' | 'link_sent'> {
    const token = randomBytes(32).toString('base64url');
    const outcome = await this.transactions.run(async (m) => {
      const [current]: Array<{ email: string; bounced: boolean }> = await m.query(
        `SELECT email, bounced_at IS NOT NULL AS bounced FROM notice_addresses
          WHERE usager_id = $1 AND confirmed_at IS NOT NULL FOR UPDATE`,
        [usagerId],
      );
      if (choice.mode === 'none' || (current && current.email === choice.email && !current.bounced)) {
        if (current) {
          await m.query(`UPDATE notice_addresses SET mode = $2, updated_at = now() WHERE usager_id = $1`, [usagerId, choice.mode]);
        }
        return 'confirmed' as const;
      }
      const [{ n }]: Array<{ n: number }> = await m.query(
        `SELECT count(*)::int AS n FROM notice_address_tokens WHERE usager_id = $1 AND created_at > now() - interval '24 hours'`,
        [usagerId],
      );
      if (n >= LINKS_PER_DAY) {
        throw new ValidationError(
          { email: `Vous avez demandé ${LINKS_PER_DAY} liens de confirmation en 24 heures : réessayez demain, ou utilisez un lien déjà reçu.` },
          'notice address: too many confirmation links in 24 hours',
        );
      }
      // One live link per usager: a new request replaces the previous one.
      await m.query(`UPDATE notice_address_tokens SET used_at = now() WHERE usager_id = $1 AND used_at IS NULL`, [usagerId]);
      await m.query(
        `INSERT INTO notice_address_tokens (token_hash, usager_id, email, mode, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))`,
        [hashToken(token), usagerId, choice.email, choice.mode, CONFIRMATION_HOURS],
      );
      return 'link_sent' as const;
    });
    if (outcome === 'link_sent') {
      const link = `${this.config.publicUrl}/usager/prevenu/confirmation?jeton=${token}`;
      try {
        await this.mailer.send({
          to: choice.email,
          subject: 'Procuration : confirmez votre adresse pour être prévenu',
          text: [
            'Bonjour,',
            '',
            'Vous avez demandé, dans votre espace Procuration, à être prévenu à cette adresse de ce qui est fait en votre nom avec vos mandats.',
            'Pour confirmer que cette adresse est bien la vôtre, suivez ce lien :',
            '',
            link,
            '',
            `Ce lien ne sert qu’une fois et expire dans ${CONFIRMATION_HOURS} heures. Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : rien ne vous sera envoyé.`,
          ].join('\n'),
        });
      } catch (error) {
        this.logger.error({ err: error, requestId: request.requestId }, 'notice address confirmation not delivered');
      }
    }
    return outcome;
  }

  /** The address a live link confirms (to show it before the usager presses "Confirmer"). */
  async pending(token: string): Promise<{ email: string }> {
    const [row]: Array<{ email: string }> = await this.transactions.read((m) =>
      m.query(`SELECT email FROM notice_address_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`, [hashToken(token)]),
    );
    if (!row) throw invalidLink();
    return row;
  }

  /** Uses the link: the address becomes the usager's notice address, with the frequency chosen. */
  async confirm(token: string, request: RequestFacts): Promise<void> {
    await this.transactions.run(async (m) => {
      const [row]: Array<{ usager_id: string; email: string; mode: NoticeMode }> = await m.query(
        `SELECT usager_id, email, mode FROM notice_address_tokens
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE`,
        [hashToken(token)],
      );
      if (!row) throw invalidLink();
      await m.query(`UPDATE notice_address_tokens SET used_at = now() WHERE token_hash = $1`, [hashToken(token)]);
      await m.query(
        `INSERT INTO notice_addresses (usager_id, email, mode, confirmed_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (usager_id) DO UPDATE
             SET email = EXCLUDED.email, mode = EXCLUDED.mode, confirmed_at = now(), bounced_at = NULL, updated_at = now()`,
        [row.usager_id, row.email, row.mode],
      );
      await this.journal.append(m, {
        action: 'notice_address.confirmed',
        structureId: null,
        actor: { type: 'usager', id: row.usager_id },
        subjects: { usagerId: row.usager_id },
        request,
        details: { addressHash: addressHash(row.email), mode: row.mode },
      });
    });
  }
}

function invalidLink(): NoticeLinkError {
  return new NoticeLinkError(
    'Ce lien de confirmation n’est plus valable : il a déjà servi, a expiré ou est incorrect. Indiquez de nouveau votre adresse dans la rubrique « Être prévenu » de votre espace pour en recevoir un autre.',
    'notice address confirmation link unknown, used or expired',
  );
}
