import { IsNull, type EntityManager } from 'typeorm';
import { Autorisation, type ClosingReason } from './autorisation.entity.js';
import { MandateConsent } from './mandate-consent.entity.js';
import { Mandate, type RevokerType } from './mandate.entity.js';
import type { Duration } from './mandate-status.js';
import { endedMandateSql, liveAutorisationSql, liveMandateSql, mandateEndSql, openAutorisationSql } from './live-autorisation.js';
import type { LiveAutorisation } from './mandates.types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** A column written with the database's time (the transaction's `now()`), never the process's clock. */
const DATABASE_NOW = () => 'now()';

/** The autorisation `a` of the mandate `m` is live (the module's one definition, database time). */
const LIVE = liveAutorisationSql('a', 'm');

export interface OpenAutorisationRow {
  id: string;
  mandateId: string;
  demarche: string;
  expiresAt: Date;
  live: boolean;
}

/** Queries of mandates, autorisations and consents, named for the question they answer. */
export const mandatesRepository = {
  async databaseNow(manager: EntityManager): Promise<Date> {
    const [row] = await manager.query(`SELECT now() AS now`);
    return new Date(row.now);
  },

  async findLiveAutorisations(
    manager: EntityManager,
    q: { structureId: string; demarches?: string[]; usagerId?: string },
  ): Promise<LiveAutorisation[]> {
    if (!isUuid(q.structureId) || (q.usagerId !== undefined && !isUuid(q.usagerId))) return [];
    const qb = manager
      .createQueryBuilder(Autorisation, 'a')
      .innerJoin(Mandate, 'm', 'm.id = a.mandate_id')
      .select(['a.id AS id', 'a.mandate_id AS mandate_id', 'a.usager_id AS usager_id', 'a.demarche AS demarche', 'm.expires_at AS expires_at'])
      .where('a.structure_id = :structureId', { structureId: q.structureId })
      .andWhere(LIVE)
      .orderBy('m.expires_at')
      .addOrderBy('a.demarche');
    if (q.demarches) qb.andWhere('a.demarche = ANY(:demarches)', { demarches: q.demarches });
    if (q.usagerId) qb.andWhere('a.usager_id = :usagerId', { usagerId: q.usagerId });
    const rows = await qb.getRawMany<{ id: string; mandate_id: string; usager_id: string; demarche: string; expires_at: Date }>();
    return rows.map((r) => ({
      autorisationId: r.id,
      mandateId: r.mandate_id,
      usagerId: r.usager_id,
      demarche: r.demarche,
      expiresAt: new Date(r.expires_at),
    }));
  },

  isAutorisationLive(manager: EntityManager, mandateId: string, demarche: string): Promise<boolean> {
    if (!isUuid(mandateId)) return Promise.resolve(false);
    return manager
      .createQueryBuilder(Autorisation, 'a')
      .innerJoin(Mandate, 'm', 'm.id = a.mandate_id')
      .where('a.mandate_id = :mandateId AND a.demarche = :demarche', { mandateId, demarche })
      .andWhere(LIVE)
      .getExists();
  },

  findMandate(manager: EntityManager, id: string, options: { lock?: boolean } = {}): Promise<Mandate | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return manager.findOne(Mandate, { where: { id }, lock: options.lock ? { mode: 'pessimistic_write' } : undefined });
  },

  isSubmitted(manager: EntityManager, submissionId: string): Promise<boolean> {
    return manager.existsBy(MandateConsent, { submissionId });
  },

  findConsent(manager: EntityManager, id: string): Promise<MandateConsent | null> {
    return manager.findOneBy(MandateConsent, { id });
  },

  autorisationsOf(manager: EntityManager, mandateIds: string[]): Promise<Autorisation[]> {
    if (mandateIds.length === 0) return Promise.resolve([]);
    return manager
      .createQueryBuilder(Autorisation, 'a')
      .where('a.mandate_id = ANY(:ids)', { ids: mandateIds })
      .orderBy('a.created_at')
      .addOrderBy('a.demarche')
      .getMany();
  },

  mandatesOfUsager(manager: EntityManager, usagerId: string): Promise<Mandate[]> {
    if (!isUuid(usagerId)) return Promise.resolve([]);
    return manager.find(Mandate, { where: { usagerId }, order: { createdAt: 'DESC' } });
  },

  /** The structure's mandates still running (not revoked, not past their end), soonest end first. */
  async liveMandatesOfStructure(manager: EntityManager, structureId: string, usagerIds?: string[]): Promise<Mandate[]> {
    const qb = manager
      .createQueryBuilder(Mandate, 'm')
      .where('m.structure_id = :structureId', { structureId })
      .andWhere(liveMandateSql('m'))
      .orderBy('m.expires_at', 'ASC')
      .limit(500);
    if (usagerIds) qb.andWhere('m.usager_id = ANY(:usagerIds)', { usagerIds });
    return qb.getMany();
  },

  /** Ended mandates (revoked or expired) of the structure within the last 12 months, newest first. */
  endedMandatesOfStructure(manager: EntityManager, structureId: string): Promise<Mandate[]> {
    return manager
      .createQueryBuilder(Mandate, 'm')
      .where('m.structure_id = :structureId', { structureId })
      .andWhere(endedMandateSql('m'))
      .andWhere(`${mandateEndSql('m')} > now() - interval '365 days'`)
      .orderBy(mandateEndSql('m'), 'DESC')
      .limit(200)
      .getMany();
  },

  /** One page of the structure's live mandates, soonest end first (a range of `mandates_structure_running_idx` from now). */
  liveMandatesPage(manager: EntityManager, structureId: string, page: { offset: number; limit: number }): Promise<Mandate[]> {
    if (!isUuid(structureId)) return Promise.resolve([]);
    return manager
      .createQueryBuilder(Mandate, 'm')
      .where('m.structure_id = :structureId', { structureId })
      .andWhere(liveMandateSql('m'))
      .orderBy('m.expires_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .offset(page.offset)
      .limit(page.limit)
      .getMany();
  },

  /**
   * One page of the structure's ended mandates (revoked or expired), latest
   * end first: a backward range of `mandates_structure_end_idx` that stops
   * after the page.
   */
  endedMandatesPage(manager: EntityManager, structureId: string, page: { offset: number; limit: number }): Promise<Mandate[]> {
    if (!isUuid(structureId)) return Promise.resolve([]);
    return manager
      .createQueryBuilder(Mandate, 'm')
      .where('m.structure_id = :structureId', { structureId })
      .andWhere(endedMandateSql('m'))
      .orderBy(mandateEndSql('m'), 'DESC')
      .addOrderBy('m.id', 'DESC')
      .offset(page.offset)
      .limit(page.limit)
      .getMany();
  },

  /**
   * How many mandates of the structure are live and how many of them end
   * within `days`: a range of `mandates_structure_running_idx`, no row loaded.
   */
  async countLive(manager: EntityManager, structureId: string, days: number): Promise<{ live: number; expiringSoon: number }> {
    if (!isUuid(structureId)) return { live: 0, expiringSoon: 0 };
    const [row]: { live: number; expiring: number }[] = await manager.query(
      `SELECT count(*)::int AS live, count(*) FILTER (WHERE m.expires_at <= now() + interval '24 hours' * $2::int)::int AS expiring
         FROM mandates m WHERE m.structure_id = $1 AND ${liveMandateSql('m')}`,
      [structureId, days],
    );
    return { live: row!.live, expiringSoon: row!.expiring };
  },

  /** How many mandates of the structure have ended (revoked or expired); no row loaded. */
  async countEnded(manager: EntityManager, structureId: string): Promise<number> {
    if (!isUuid(structureId)) return 0;
    const [row]: { ended: number }[] = await manager.query(
      `SELECT count(*)::int AS ended FROM mandates m WHERE m.structure_id = $1 AND ${endedMandateSql('m')}`,
      [structureId],
    );
    return row!.ended;
  },

  /**
   * The structure's mandates, live or ended, of these usagers or of the usagers
   * born on `bornOn`: live ones first (soonest end), then ended ones (latest
   * end first); `limit` at most.
   */
  mandatesFound(
    manager: EntityManager,
    structureId: string,
    who: { usagerIds: string[] } | { bornOn: string },
    limit: number,
  ): Promise<Mandate[]> {
    if (!isUuid(structureId)) return Promise.resolve([]);
    const qb = manager.createQueryBuilder(Mandate, 'm').where('m.structure_id = :structureId', { structureId });
    if ('usagerIds' in who) {
      const ids = who.usagerIds.filter(isUuid);
      if (ids.length === 0) return Promise.resolve([]);
      qb.andWhere('m.usager_id = ANY(:ids)', { ids });
    } else {
      qb.andWhere('m.usager_id IN (SELECT u.id FROM usagers u WHERE u.birthdate = :bornOn::date)', { bornOn: who.bornOn });
    }
    return qb
      .orderBy(`CASE WHEN ${liveMandateSql('m')} THEN 0 ELSE 1 END`, 'ASC')
      .addOrderBy(`CASE WHEN ${liveMandateSql('m')} THEN m.expires_at END`, 'ASC')
      .addOrderBy(mandateEndSql('m'), 'DESC')
      .limit(limit)
      .getMany();
  },

  /** Open autorisations of a structure and usager for these démarches, locked for the supersession. */
  async lockOpenAutorisations(
    manager: EntityManager,
    q: { structureId: string; usagerId: string; demarches: string[] },
  ): Promise<OpenAutorisationRow[]> {
    const rows: Array<{ id: string; mandate_id: string; demarche: string; expires_at: Date; live: boolean }> =
      await manager.query(
        `SELECT a.id, a.mandate_id, a.demarche, m.expires_at, (${liveMandateSql('m')}) AS live
           FROM autorisations a JOIN mandates m ON m.id = a.mandate_id
          WHERE a.structure_id = $1 AND a.usager_id = $2 AND a.demarche = ANY($3) AND ${openAutorisationSql('a')}
          ORDER BY a.id FOR UPDATE OF a`,
        [q.structureId, q.usagerId, q.demarches],
      );
    return rows.map((r) => ({ id: r.id, mandateId: r.mandate_id, demarche: r.demarche, expiresAt: new Date(r.expires_at), live: r.live }));
  },

  /** Links a superseded autorisation to the one that replaced it (it was closed before the new one existed). */
  async recordSupersession(manager: EntityManager, supersededId: string, supersededBy: string): Promise<void> {
    await manager.update(Autorisation, { id: supersededId }, { supersededBy });
  },

  async closeAutorisation(manager: EntityManager, id: string, reason: ClosingReason, supersededBy: string | null = null) {
    await manager.update(Autorisation, { id, revokedAt: IsNull() }, { revokedAt: DATABASE_NOW, revocationReason: reason, supersededBy });
  },

  /** Mandates with no open autorisation left get closed too (all superseded or revoked one by one). */
  async closeMandatesWithoutOpenAutorisation(
    manager: EntityManager,
    mandateIds: string[],
    by: { type: RevokerType; id: string | null; reason: string },
  ): Promise<string[]> {
    if (mandateIds.length === 0) return [];
    // TypeORM answers an UPDATE … RETURNING with [rows, rowCount].
    const [rows]: [Array<{ id: string }>, number] = await manager.query(
      `UPDATE mandates m SET revoked_at = now(), revoked_by_type = $2, revoked_by_id = $3, revocation_reason = $4
        WHERE m.id = ANY($1) AND ${liveMandateSql('m')}
          AND NOT EXISTS (SELECT 1 FROM autorisations a WHERE a.mandate_id = m.id AND ${openAutorisationSql('a')})
        RETURNING m.id`,
      [mandateIds, by.type, by.id, by.reason],
    );
    return rows.map((r) => r.id);
  },

  async revokeMandate(manager: EntityManager, id: string, by: { type: RevokerType; id: string | null; reason: string }) {
    await manager.update(Autorisation, { mandateId: id, revokedAt: IsNull() }, { revokedAt: DATABASE_NOW, revocationReason: 'mandate_revoked' });
    await manager.update(Mandate, { id }, { revokedAt: DATABASE_NOW, revokedByType: by.type, revokedById: by.id, revocationReason: by.reason });
  },

  async insertConsent(manager: EntityManager, consent: Omit<MandateConsent, 'id'>): Promise<string> {
    const saved = await manager.save(manager.create(MandateConsent, consent));
    return saved.id;
  },

  /**
   * Inserts the mandate at database time with its end computed by the
   * database from the duration: calendar days in Europe/Paris, the same time
   * of day (`expiryOf` is the same rule, docs/decisions/0504).
   */
  async insertMandate(
    manager: EntityManager,
    m: { structureId: string; usagerId: string; openedBy: string; consentId: string; renewedFrom: string | null; duration: Duration; days: number },
  ): Promise<Mandate> {
    const [row] = await manager.query(
      `INSERT INTO mandates (structure_id, usager_id, opened_by, consent_id, renewed_from, duration, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now(),
               ((now() AT TIME ZONE 'Europe/Paris') + interval '1 day' * $7::int) AT TIME ZONE 'Europe/Paris')
       RETURNING id`,
      [m.structureId, m.usagerId, m.openedBy, m.consentId, m.renewedFrom, m.duration, m.days],
    );
    return (await manager.findOneByOrFail(Mandate, { id: row.id }));
  },

  async insertAutorisation(manager: EntityManager, a: { mandateId: string; structureId: string; usagerId: string; demarche: string }) {
    const { identifiers } = await manager.insert(Autorisation, { ...a, createdAt: DATABASE_NOW });
    return identifiers[0]!.id as string;
  },

  /**
   * Claims up to `limit` mandates past their end whose expiry is not journaled
   * yet, skipping rows another instance holds, and marks them in the same
   * transaction (the caller journals them there).
   */
  async claimExpired(manager: EntityManager, limit: number): Promise<Mandate[]> {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM mandates
        WHERE expiry_journaled_at IS NULL AND revoked_at IS NULL AND expires_at <= now()
        ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    await manager.query(`UPDATE mandates SET expiry_journaled_at = now() WHERE id = ANY($1)`, [ids]);
    return manager.createQueryBuilder(Mandate, 'm').where('m.id = ANY(:ids)', { ids }).getMany();
  },

  /** The structure's mandates ending within `days` days, soonest first. */
  /**
   * How many mandates of the structure are running (`cap` at most: the count
   * stops there) and how many of them end within `days`: one index range of
   * the structure's mandates that have not ended yet, no row loaded.
   */
  async countRunning(manager: EntityManager, structureId: string, q: { cap: number; days: number }): Promise<{ live: number; expiringSoon: number }> {
    if (!isUuid(structureId)) return { live: 0, expiringSoon: 0 };
    const [row]: { live: number; expiring: number }[] = await manager.query(
      `SELECT (SELECT count(*)::int FROM (SELECT 1 FROM mandates m
                WHERE m.structure_id = $1 AND ${liveMandateSql('m')} LIMIT $2) AS capped) AS live,
              (SELECT count(*)::int FROM mandates m
                WHERE m.structure_id = $1 AND ${liveMandateSql('m')}
                  AND m.expires_at <= now() + interval '24 hours' * $3::int) AS expiring`,
      [structureId, q.cap, q.days],
    );
    return { live: row!.live, expiringSoon: row!.expiring };
  },

  expiringSoon(manager: EntityManager, structureId: string, days: number): Promise<Mandate[]> {
    return manager
      .createQueryBuilder(Mandate, 'm')
      .where('m.structure_id = :structureId', { structureId })
      .andWhere(`${liveMandateSql('m')} AND m.expires_at <= now() + interval '24 hours' * :days`, { days })
      .orderBy('m.expires_at', 'ASC')
      .getMany();
  },
};
