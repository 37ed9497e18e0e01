import type { EntityManager } from 'typeorm';

export interface StoredAttestation {
  id: string;
  mandateId: string;
  kind: 'mandate' | 'revocation';
  kid: string;
  jws: string;
  issuedAt: Date;
}

interface Row {
  id: string;
  mandate_id: string;
  kind: 'mandate' | 'revocation';
  kid: string;
  jws: string;
  issued_at: Date;
}

const toStored = (r: Row): StoredAttestation => ({
  id: r.id,
  mandateId: r.mandate_id,
  kind: r.kind,
  kid: r.kid,
  jws: r.jws,
  issuedAt: new Date(r.issued_at),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stored attestations and the counters of their public verification, named for the question they answer. */
export const attestationsRepository = {
  /**
   * Stores a signed attestation. A mandate has one mandate attestation: when
   * another transaction stored it first, nothing is written and false is
   * returned (the caller then shows the one stored).
   */
  async insert(manager: EntityManager, a: Omit<StoredAttestation, 'issuedAt'>): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO attestations (id, mandate_id, kind, kid, jws) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (mandate_id) WHERE kind = 'mandate' DO NOTHING RETURNING id`,
      [a.id, a.mandateId, a.kind, a.kid, a.jws],
    );
    return rows.length === 1;
  },

  async latestOf(manager: EntityManager, mandateId: string, kind: 'mandate' | 'revocation'): Promise<StoredAttestation | null> {
    const [row]: Row[] = await manager.query(
      `SELECT id, mandate_id, kind, kid, jws, issued_at FROM attestations
        WHERE mandate_id = $1 AND kind = $2 ORDER BY issued_at DESC, id LIMIT 1`,
      [mandateId, kind],
    );
    return row ? toStored(row) : null;
  },

  async findById(manager: EntityManager, id: string): Promise<StoredAttestation | null> {
    if (!UUID.test(id)) return null;
    const [row]: Row[] = await manager.query(`SELECT id, mandate_id, kind, kid, jws, issued_at FROM attestations WHERE id = $1`, [id]);
    return row ? toStored(row) : null;
  },

  /**
   * Counts one verification of an address in its minute and returns the
   * minute's count, in one statement (parallel requests cannot both read the
   * old count). Minutes older than five are purged on the way.
   */
  async countVerification(manager: EntityManager, addressHash: string, minute: Date): Promise<number> {
    const [row]: Array<{ requests: number }> = await manager.query(
      `WITH purged AS (DELETE FROM attestation_verification_counts WHERE minute < $2::timestamptz - interval '5 minutes')
       INSERT INTO attestation_verification_counts AS c (address_hash, minute, requests) VALUES ($1, $2, 1)
       ON CONFLICT (address_hash, minute) DO UPDATE SET requests = c.requests + 1
       RETURNING c.requests`,
      [addressHash, minute],
    );
    return Number(row!.requests);
  },

  /** Records that an attestation was verified on this day; true only the first time that day. */
  async firstVerificationOn(manager: EntityManager, attestationId: string, day: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO attestation_verification_days (attestation_id, day) VALUES ($1, $2::date)
       ON CONFLICT DO NOTHING RETURNING day`,
      [attestationId, day],
    );
    return rows.length === 1;
  },
};
