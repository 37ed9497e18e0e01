import type { EntityManager } from 'typeorm';
import type { NoticeQueueService } from './notice-queue.service.js';

/**
 * Long and semester mandates still running that end within 30 days, with
 * their live démarches (a mandate already renewed is left out).
 */
const EXPIRING_SQL = `
  SELECT m.id, m.structure_id, m.usager_id, m.expires_at, s.name AS structure,
         u.given_name || ' ' || coalesce(u.preferred_username, u.family_name) AS usager,
         array_agg(a.demarche ORDER BY a.demarche) AS demarches
    FROM mandates m
    JOIN structures s ON s.id = m.structure_id
    JOIN usagers u ON u.id = m.usager_id
    JOIN autorisations a ON a.mandate_id = m.id AND a.revoked_at IS NULL
   WHERE m.duration IN ('long', 'semestre') AND m.revoked_at IS NULL
     AND m.expires_at > now() AND m.expires_at <= now() + interval '30 days'
     AND NOT EXISTS (SELECT 1 FROM mandates r WHERE r.renewed_from = m.id)
     AND %WHERE%
   GROUP BY m.id, s.name, u.given_name, u.preferred_username, u.family_name
   ORDER BY m.expires_at, m.id`;

interface ExpiringRow {
  id: string;
  structure_id: string;
  usager_id: string;
  expires_at: Date;
  structure: string;
  usager: string;
  demarches: string[];
}

/** Queues the "ends within 30 days" notice of each such mandate whose usager asked for notices (once per mandate). */
export async function queueExpiringNotices(m: EntityManager, queue: NoticeQueueService): Promise<number> {
  const rows: Array<ExpiringRow & { email: string }> = await m.query(
    EXPIRING_SQL.replace('%WHERE%', `na.usager_id IS NOT NULL`)
      .replace('JOIN usagers u', `JOIN notice_addresses na ON na.usager_id = m.usager_id AND na.confirmed_at IS NOT NULL
                AND na.bounced_at IS NULL AND na.mode <> 'none'
    JOIN usagers u`)
      .replace('GROUP BY m.id,', 'GROUP BY m.id, na.usager_id, na.email,')
      .replace('SELECT m.id,', 'SELECT na.email, m.id,'),
  );
  let queued = 0;
  for (const row of rows) {
    const id = await queue.enqueue(m, {
      eventKey: `expiring:${row.id}`,
      kind: 'expiring',
      recipient: { usagerId: row.usager_id },
      structureId: row.structure_id,
      email: row.email,
      digest: false,
      facts: { structure: row.structure, demarches: row.demarches, expiresAt: new Date(row.expires_at).toISOString() },
      mandateId: row.id,
    });
    if (id) queued += 1;
  }
  return queued;
}

/**
 * Queues this week's reminder to each structure that has long or semester
 * mandates ending within 30 days: one mail to each of its active aidants.
 * The week's row in structure_reminders makes it once per structure and
 * week, whichever instance runs first.
 */
export async function queueStructureReminders(m: EntityManager, queue: NoticeQueueService): Promise<number> {
  const rows: ExpiringRow[] = await m.query(EXPIRING_SQL.replace('%WHERE%', 's.active'));
  const byStructure = new Map<string, ExpiringRow[]>();
  for (const row of rows) byStructure.set(row.structure_id, [...(byStructure.get(row.structure_id) ?? []), row]);
  let queued = 0;
  for (const [structureId, mandates] of byStructure) {
    const claimed: Array<{ week: string }> = await m.query(
      `INSERT INTO structure_reminders (structure_id, week, mandates)
         VALUES ($1, date_trunc('week', now() AT TIME ZONE 'Europe/Paris')::date, $2)
         ON CONFLICT DO NOTHING RETURNING to_char(week, 'YYYY-MM-DD') AS week`,
      [structureId, mandates.length],
    );
    const week = claimed[0]?.week;
    if (!week) continue;
    const aidants: Array<{ id: string; email: string }> = await m.query(
      `SELECT a.id, a.email FROM memberships ms JOIN aidants a ON a.id = ms.aidant_id
        WHERE ms.structure_id = $1 AND ms.suspended_at IS NULL AND 'aidant' = ANY (ms.roles)
          AND a.habilitation_status = 'habilitated' AND a.activated_at IS NOT NULL
        ORDER BY a.id`,
      [structureId],
    );
    const facts = {
      structure: mandates[0]!.structure,
      mandates: mandates.map((r) => ({ id: r.id, usager: r.usager, demarches: r.demarches, expiresAt: new Date(r.expires_at).toISOString() })),
    };
    for (const aidant of aidants) {
      const id = await queue.enqueue(m, {
        eventKey: `reminder:${structureId}:${week}:${aidant.id}`,
        kind: 'structure_reminder',
        recipient: { aidantId: aidant.id },
        structureId,
        email: aidant.email,
        digest: false,
        facts,
      });
      if (id) queued += 1;
    }
  }
  return queued;
}
