import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { TransactionRunner } from '../database/transaction-runner.js';
import type { JournalService } from '../journal/journal.service.js';
import type { Mailer } from '../mail/mailer.js';
import { composeNotice, type NoticeKind, type QueuedNotice } from './notice-mail.js';

export interface NoticeSenderOptions {
  publicUrl: string;
  /** How long a claimed notice stays with its runner before another may take it (a runner that died). */
  leaseMs: number;
  batch?: number;
  /** Called after a mail left and before it is marked sent (tests use it to kill a runner there). */
  afterSend?: (noticeIds: readonly string[]) => void | Promise<void>;
}

interface ClaimedRow {
  id: string;
  kind: NoticeKind;
  recipient: string;
  digest: boolean;
  facts: Record<string, unknown>;
  attempts: number;
  usager_id: string | null;
  aidant_id: string | null;
  structure_id: string | null;
}

/** Retry delay after a temporary failure: 30 s, doubling, at most one hour. */
export function backoffSeconds(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 3600);
}

/** An SMTP 5xx answer (address refused, bounce): retrying would not help. */
export function smtpPermanentCode(error: unknown): number | null {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600 ? code : null;
}

/**
 * Delivers queued notices; any number of runners (instances) may run at
 * once. A runner claims due notices with FOR UPDATE SKIP LOCKED and a lease
 * in one short transaction, sends outside any transaction, then marks them
 * sent with their journal entries. A runner that dies between the send and
 * the mark leaves a lease that expires: the next runner sends again (see
 * docs/decisions/0800-notices-exactly-once.md).
 */
export class NoticeSender {
  private readonly logger = new Logger('Notices');

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly journal: JournalService,
    private readonly mailer: Mailer,
    private readonly options: NoticeSenderOptions,
  ) {}

  /** Sends every due notice; returns how many notices were marked sent. */
  async drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const claimed = await this.claim();
      if (claimed.length === 0) return sent;
      for (const group of groups(claimed)) sent += await this.deliver(group);
    }
  }

  private claim(): Promise<ClaimedRow[]> {
    const batch = this.options.batch ?? 50;
    return this.transactions.run(async (m) => {
      const due: Array<{ id: string; usager_id: string | null; digest: boolean }> = await m.query(
        `SELECT id, usager_id, digest FROM notices
          WHERE (status = 'pending' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now())
          ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batch],
      );
      if (due.length === 0) return [];
      const kept = await this.honourPreferences(m, due.map((d) => d.id));
      if (kept.length === 0) return [];
      await m.query(
        `UPDATE notices SET status = 'sending', attempts = attempts + 1,
                lease_until = now() + make_interval(secs => $2::double precision / 1000)
          WHERE id = ANY($1)`,
        [kept, this.options.leaseMs],
      );
      return m.query(
        `SELECT id, kind, recipient, digest, facts, attempts, usager_id, aidant_id, structure_id
           FROM notices WHERE id = ANY($1) ORDER BY created_at, id`,
        [kept],
      );
    });
  }

  /**
   * The usager's choice as it is now, not as it was when the notice was
   * queued (docs/decisions/0803-notice-preferences-at-send-time.md): a
   * usager who chose "none" is sent nothing more, and a notice waiting for
   * an address the usager has since replaced goes to the newly confirmed
   * one. Notices with no usager (the structure reminders) are left as they
   * are. Returns the ids still to send; the others are dropped, each with
   * its `notice.failed`, in the claim's transaction.
   */
  private async honourPreferences(m: EntityManager, ids: string[]): Promise<string[]> {
    const rows: Array<ClaimedRow & { email: string | null; mode: string | null; usable: boolean | null }> = await m.query(
      `SELECT n.id, n.kind, n.recipient, n.digest, n.facts, n.attempts, n.usager_id, n.aidant_id, n.structure_id,
              a.email, a.mode, (a.confirmed_at IS NOT NULL AND a.bounced_at IS NULL) AS usable
         FROM notices n LEFT JOIN notice_addresses a ON a.usager_id = n.usager_id
        WHERE n.id = ANY($1)`,
      [ids],
    );
    const kept: string[] = [];
    for (const row of rows) {
      const verdict = preferenceVerdict(row);
      if (verdict === 'send') kept.push(row.id);
      else if (verdict === 'readdress') {
        await m.query(`UPDATE notices SET recipient = $2 WHERE id = $1`, [row.id, row.email]);
        kept.push(row.id);
      } else {
        await m.query(`UPDATE notices SET status = 'failed', lease_until = NULL, last_error = $2 WHERE id = $1`, [row.id, verdict.replace('_', ' ')]);
        await this.journalOutcome(m, row, { action: 'notice.failed', smtpCode: null, reason: verdict });
      }
    }
    return kept;
  }

  private async deliver(group: ClaimedRow[]): Promise<number> {
    const ids = group.map((n) => n.id);
    const mail = composeNotice(group.map(asQueued), this.options.publicUrl);
    try {
      await this.mailer.send({ to: group[0]!.recipient, ...mail });
    } catch (error) {
      await this.failed(group, error);
      return 0;
    }
    await this.options.afterSend?.(ids);
    return this.transactions.run(async (m) => {
      const marked: Array<{ id: string }> = await m.query(
        `SELECT id FROM notices WHERE id = ANY($1) AND status = 'sending' FOR UPDATE`,
        [ids],
      );
      await m.query(`UPDATE notices SET status = 'sent', sent_at = now(), lease_until = NULL, last_error = NULL WHERE id = ANY($1)`, [
        marked.map((r) => r.id),
      ]);
      for (const row of group.filter((n) => marked.some((r) => r.id === n.id))) {
        await this.journalOutcome(m, row, { action: 'notice.sent' });
      }
      return marked.length;
    });
  }

  private async failed(group: ClaimedRow[], error: unknown): Promise<void> {
    const code = smtpPermanentCode(error);
    const ids = group.map((n) => n.id);
    const reason = String((error as Error)?.message ?? error).slice(0, 500);
    if (code === null) {
      // The server is down or answered 4xx: try again later, nothing is lost.
      await this.transactions.run((m) =>
        m.query(
          `UPDATE notices SET status = 'pending', lease_until = NULL, last_error = $2,
                  next_attempt_at = now() + make_interval(secs => $3)
            WHERE id = ANY($1) AND status = 'sending'`,
          [ids, reason, backoffSeconds(group[0]!.attempts)],
        ),
      );
      this.logger.warn({ kind: group[0]!.kind, attempts: group[0]!.attempts }, 'notice not delivered: will retry');
      return;
    }
    await this.transactions.run(async (m) => {
      await m.query(`UPDATE notices SET status = 'failed', lease_until = NULL, last_error = $2 WHERE id = ANY($1)`, [ids, reason]);
      const recipient = group[0]!;
      if (recipient.usager_id) {
        await m.query(`UPDATE notice_addresses SET bounced_at = now() WHERE usager_id = $1 AND email = $2`, [
          recipient.usager_id,
          recipient.recipient,
        ]);
        // Nothing more goes to an address that bounced: its other notices are
        // dropped, each with its own journal entry (the usager's history shows
        // what they were not told). A notice left `sending` by a runner that
        // died is dropped too, one still leased is its runner's to finish.
        const dropped: ClaimedRow[] = await m.query(
          `WITH dropped AS (
             UPDATE notices SET status = 'failed', lease_until = NULL, last_error = 'address bounced'
              WHERE usager_id = $1 AND recipient = $2 AND NOT (id = ANY($3))
                AND (status = 'pending' OR (status = 'sending' AND lease_until < now()))
              RETURNING id, kind, recipient, digest, facts, attempts, usager_id, aidant_id, structure_id, created_at)
           SELECT * FROM dropped ORDER BY created_at, id`,
          [recipient.usager_id, recipient.recipient, ids],
        );
        for (const row of dropped) await this.journalOutcome(m, row, { action: 'notice.failed', smtpCode: null, reason: 'address_bounced' });
      }
      for (const row of group) await this.journalOutcome(m, row, { action: 'notice.failed', smtpCode: code, reason: 'refused' });
    });
    this.logger.warn({ kind: group[0]!.kind, smtpCode: code }, 'notice refused for good: address marked');
  }

  private async journalOutcome(
    m: EntityManager,
    row: ClaimedRow,
    outcome: { action: 'notice.sent' } | { action: 'notice.failed'; smtpCode: number | null; reason: NoticeDropReason },
  ): Promise<void> {
    const base = {
      structureId: row.structure_id,
      actor: { type: 'system' as const, id: null },
      subjects: { usagerId: row.usager_id, aidantId: row.aidant_id },
    };
    if (outcome.action === 'notice.sent') {
      await this.journal.append(m, { ...base, action: 'notice.sent', details: { noticeId: row.id, kind: row.kind, attempts: row.attempts } });
    } else {
      await this.journal.append(m, {
        ...base,
        action: 'notice.failed',
        details: { noticeId: row.id, kind: row.kind, attempts: row.attempts, smtpCode: outcome.smtpCode, reason: outcome.reason },
      });
    }
  }
}

type NoticeDropReason = 'refused' | 'address_bounced' | 'opted_out' | 'no_address';

/**
 * What the usager's current address says of a notice to them: send it as
 * queued, send it to the address confirmed since, or drop it because they
 * chose "none" (`opted_out`) or have no usable address left (`no_address`:
 * none confirmed, or the confirmed one bounced).
 */
export function preferenceVerdict(row: {
  usager_id: string | null;
  recipient: string;
  email: string | null;
  mode: string | null;
  usable: boolean | null;
}): 'send' | 'readdress' | 'opted_out' | 'no_address' {
  if (!row.usager_id) return 'send';
  if (row.mode === 'none') return 'opted_out';
  if (!row.email || !row.usable) return 'no_address';
  return row.email === row.recipient.toLowerCase() ? 'send' : 'readdress';
}

function asQueued(row: ClaimedRow): QueuedNotice {
  return { id: row.id, kind: row.kind, recipient: row.recipient, digest: row.digest, facts: row.facts };
}

/** One mail per notice, except a usager's daily-summary notices: one mail for all of them. */
function groups(rows: ClaimedRow[]): ClaimedRow[][] {
  const out: ClaimedRow[][] = [];
  const digests = new Map<string, ClaimedRow[]>();
  for (const row of rows) {
    if (!row.digest) {
      out.push([row]);
      continue;
    }
    const key = `${row.usager_id}:${row.recipient}`;
    const group = digests.get(key);
    if (group) group.push(row);
    else digests.set(key, [row]);
  }
  return [...out, ...digests.values()];
}
