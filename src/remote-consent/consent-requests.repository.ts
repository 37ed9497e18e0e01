import type { EntityManager } from 'typeorm';
import type { ConsentChannel, ConsentRequest, ConsentRequestStatus } from './consent-request.js';

/** The columns a service reads (never the token or code digests). */
const COLUMNS = `id, structure_id, aidant_id, expected_family_name, expected_given_name, expected_family_fold, expected_given_fold,
  to_char(expected_birthdate, 'YYYY-MM-DD') AS expected_birthdate, demarches, duration, channel, status, refusal_reason,
  totp_confirmed_at, created_at, expires_at, decided_at, mandate_id`;

interface Row {
  id: string;
  structure_id: string;
  aidant_id: string;
  expected_family_name: string;
  expected_given_name: string;
  expected_family_fold: string;
  expected_given_fold: string;
  expected_birthdate: string;
  demarches: string[];
  duration: string;
  channel: ConsentChannel;
  status: ConsentRequestStatus;
  refusal_reason: 'usager' | 'aidant_unavailable' | null;
  totp_confirmed_at: Date;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
  mandate_id: string | null;
}

function toRequest(row: Row): ConsentRequest {
  return {
    id: row.id,
    structureId: row.structure_id,
    aidantId: row.aidant_id,
    expectedFamilyName: row.expected_family_name,
    expectedGivenName: row.expected_given_name,
    expectedFamilyFold: row.expected_family_fold,
    expectedGivenFold: row.expected_given_fold,
    expectedBirthdate: row.expected_birthdate,
    demarches: row.demarches as ConsentRequest['demarches'],
    duration: row.duration as ConsentRequest['duration'],
    channel: row.channel,
    status: row.status,
    refusalReason: row.refusal_reason,
    totpConfirmedAt: new Date(row.totp_confirmed_at),
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    decidedAt: row.decided_at && new Date(row.decided_at),
    mandateId: row.mandate_id,
  };
}

export type NewConsentRequest = Omit<ConsentRequest, 'id' | 'status' | 'refusalReason' | 'decidedAt' | 'mandateId'> & {
  tokenHash: string | null;
  codeHash: string | null;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Queries of `consent_requests`, each in the caller's transaction. */
export const consentRequestsRepository = {
  async insert(manager: EntityManager, r: NewConsentRequest): Promise<ConsentRequest> {
    const [row] = (await manager.query(
      `INSERT INTO consent_requests (structure_id, aidant_id, expected_family_name, expected_given_name, expected_family_fold,
                                     expected_given_fold, expected_birthdate, demarches, duration, channel, token_hash, code_hash,
                                     totp_confirmed_at, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       RETURNING ${COLUMNS}`,
      [
        r.structureId,
        r.aidantId,
        r.expectedFamilyName,
        r.expectedGivenName,
        r.expectedFamilyFold,
        r.expectedGivenFold,
        r.expectedBirthdate,
        r.demarches,
        r.duration,
        r.channel,
        r.tokenHash,
        r.codeHash,
        r.totpConfirmedAt,
        r.createdAt,
        r.expiresAt,
      ],
    )) as Row[];
    return toRequest(row!);
  },

  /** The pending rows past their end for this aidant and expected usager, locked (they block a new request). */
  async lockLapsedPending(
    manager: EntityManager,
    q: { aidantId: string; familyFold: string; givenFold: string; birthdate: string; now: Date },
  ): Promise<ConsentRequest[]> {
    const rows = (await manager.query(
      `SELECT ${COLUMNS} FROM consent_requests
        WHERE aidant_id = $1 AND expected_family_fold = $2 AND expected_given_fold = $3 AND expected_birthdate = $4
          AND status = 'pending' AND expires_at <= $5
        FOR UPDATE`,
      [q.aidantId, q.familyFold, q.givenFold, q.birthdate, q.now],
    )) as Row[];
    return rows.map(toRequest);
  },

  /** Pending requests past their end, locked and skipped by other instances doing the same. */
  async claimLapsed(manager: EntityManager, now: Date, limit: number): Promise<ConsentRequest[]> {
    const rows = (await manager.query(
      `SELECT ${COLUMNS} FROM consent_requests WHERE status = 'pending' AND expires_at <= $1
        ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    )) as Row[];
    return rows.map(toRequest);
  },

  async findByTokenHash(manager: EntityManager, tokenHash: string, lock = false): Promise<ConsentRequest | null> {
    const rows = (await manager.query(`SELECT ${COLUMNS} FROM consent_requests WHERE token_hash = $1${lock ? ' FOR UPDATE' : ''}`, [
      tokenHash,
    ])) as Row[];
    return rows[0] ? toRequest(rows[0]) : null;
  },

  /** The request whose code digest is one of `codeHashes` (the current digest, and the one used before). */
  async findByCodeHash(manager: EntityManager, codeHashes: string[]): Promise<ConsentRequest | null> {
    const rows = (await manager.query(`SELECT ${COLUMNS} FROM consent_requests WHERE code_hash = ANY($1) LIMIT 1`, [codeHashes])) as Row[];
    return rows[0] ? toRequest(rows[0]) : null;
  },

  /** The request, locked until the transaction ends when asked: two answers to one request are taken one after the other. */
  async findById(manager: EntityManager, id: string, lock = false): Promise<ConsentRequest | null> {
    if (!UUID.test(id)) return null;
    const rows = (await manager.query(`SELECT ${COLUMNS} FROM consent_requests WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])) as Row[];
    return rows[0] ? toRequest(rows[0]) : null;
  },

  async listForAidant(manager: EntityManager, aidantId: string, structureId: string, limit: number): Promise<ConsentRequest[]> {
    const rows = (await manager.query(
      `SELECT ${COLUMNS} FROM consent_requests WHERE aidant_id = $1 AND structure_id = $2 ORDER BY created_at DESC LIMIT $3`,
      [aidantId, structureId, limit],
    )) as Row[];
    return rows.map(toRequest);
  },

  /**
   * Ends a pending request (conditional on it still being pending: the
   * caller holds its lock, and the condition says so again). Returns
   * whether this call ended it.
   */
  async decide(
    manager: EntityManager,
    id: string,
    outcome: { status: Exclude<ConsentRequestStatus, 'pending'>; at: Date; refusalReason?: 'usager' | 'aidant_unavailable'; mandateId?: string },
  ): Promise<boolean> {
    const [, count] = (await manager.query(
      `UPDATE consent_requests SET status = $2, decided_at = $3, refusal_reason = $4, mandate_id = $5
        WHERE id = $1 AND status = 'pending'`,
      [id, outcome.status, outcome.at, outcome.refusalReason ?? null, outcome.mandateId ?? null],
    )) as [unknown, number];
    return count === 1;
  },
};
