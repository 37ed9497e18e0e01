import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JournalService } from '../journal/journal.service.js';
import type { JournalAction, JournalActionDetails } from '../journal/journal.actions.js';
import type { AppendedEntry, JournalEvent } from '../journal/journal.types.js';
import type { NoticeKind } from './notice-mail.js';

/** The journaled events a usager is told about. */
const KIND_OF: Partial<Record<JournalAction, NoticeKind>> = {
  'mandate.created': 'mandate_created',
  'autorisation.used': 'use',
  'mandate.revoked': 'revocation',
};

export interface NewNotice {
  eventKey: string;
  kind: NoticeKind;
  recipient: { usagerId: string } | { aidantId: string };
  structureId: string | null;
  email: string;
  digest: boolean;
  facts: Record<string, unknown>;
  mandateId?: string | null;
}

/** The daily summary goes out at 8:00, Paris time, the day after. */
const NEXT_SUMMARY_SQL = `(date_trunc('day', now() AT TIME ZONE 'Europe/Paris') + interval '1 day 8 hours') AT TIME ZONE 'Europe/Paris'`;

/**
 * Queues notices. Notices about an event are queued from its journal entry,
 * inside the transaction that writes it (JournalService.onAppend): the
 * modules that make the events do not know notices exist, and a notice
 * exists exactly when its event committed.
 */
@Injectable()
export class NoticeQueueService implements OnModuleInit {
  constructor(private readonly journal: JournalService) {}

  onModuleInit(): void {
    this.journal.onAppend((m, event, entry) => this.fromEntry(m, event, entry));
  }

  /** Inserts a notice unless its event is queued already; journals `notice.queued`. Returns the new id, or null. */
  async enqueue(m: EntityManager, notice: NewNotice): Promise<string | null> {
    const usagerId = 'usagerId' in notice.recipient ? notice.recipient.usagerId : null;
    const aidantId = 'aidantId' in notice.recipient ? notice.recipient.aidantId : null;
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO notices (event_key, kind, usager_id, aidant_id, structure_id, recipient, digest, facts, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 THEN ${NEXT_SUMMARY_SQL} ELSE now() END)
         ON CONFLICT (event_key) DO NOTHING RETURNING id`,
      [notice.eventKey, notice.kind, usagerId, aidantId, notice.structureId, notice.email, notice.digest, JSON.stringify(notice.facts)],
    );
    const id = rows[0]?.id;
    if (!id) return null;
    await this.journal.append(m, {
      action: 'notice.queued',
      structureId: notice.structureId,
      actor: { type: 'system', id: null },
      subjects: { usagerId, aidantId, mandateId: notice.mandateId ?? null },
      details: { noticeId: id, kind: notice.kind },
    });
    return id;
  }

  private async fromEntry(m: EntityManager, event: JournalEvent<JournalAction>, entry: AppendedEntry): Promise<void> {
    const kind = KIND_OF[event.action];
    const usagerId = event.subjects?.usagerId;
    if (!kind || !usagerId) return;
    const [address]: Array<{ email: string; mode: 'each' | 'daily' }> = await m.query(
      `SELECT email, mode FROM notice_addresses
        WHERE usager_id = $1 AND confirmed_at IS NOT NULL AND bounced_at IS NULL AND mode <> 'none'`,
      [usagerId],
    );
    if (!address) return;
    const facts = await this.factsOf(m, kind, event);
    await this.enqueue(m, {
      eventKey: `${event.action}:${entry.id}`,
      kind,
      recipient: { usagerId },
      structureId: event.structureId,
      email: address.email,
      digest: kind === 'use' && address.mode === 'daily',
      facts,
      mandateId: event.subjects?.mandateId ?? null,
    });
  }

  private async factsOf(m: EntityManager, kind: NoticeKind, event: JournalEvent<JournalAction>): Promise<Record<string, unknown>> {
    const [names]: Array<{ structure: string | null; aidant: string | null; partner: string | null; at: Date }> = await m.query(
      `SELECT (SELECT name FROM structures WHERE id = $1) AS structure,
              (SELECT given_name || ' ' || family_name FROM aidants WHERE id = $2) AS aidant,
              (SELECT name FROM partners WHERE id = $3) AS partner,
              now() AS at`,
      [uuidOrNull(event.structureId), uuidOrNull(event.subjects?.aidantId ?? event.actor.id), uuidOrNull(event.subjects?.partnerId)],
    );
    const base = { structure: names?.structure ?? '', aidant: names?.aidant ?? '', at: (names?.at ?? new Date()).toISOString() };
    if (kind === 'use') return { ...base, partner: names?.partner ?? '', demarche: event.demarche ?? '' };
    if (kind === 'mandate_created') {
      const details = event.details as JournalActionDetails['mandate.created'];
      return { ...base, demarches: details.demarches, expiresAt: details.expiresAt };
    }
    const details = event.details as JournalActionDetails['mandate.revoked'];
    return { ...base, by: details.by };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names are looked up by uuid only: a subject of another shape simply has no name. */
function uuidOrNull(value: string | null | undefined): string | null {
  return value && UUID.test(value) ? value : null;
}
