import type { EntityManager } from 'typeorm';

/** A partner sign-in whose grant was ended: its `provider_uses` id and the partner's client id. */
export interface EndedSignIn {
  useId: string;
  clientId: string;
}

/**
 * Ending partner sign-ins before their tokens expire. A sign-in is one
 * grant (docs/decisions/0603); ending it deletes the grant and every code
 * and token issued under it, as oidc-provider's own revocation does.
 */
export const providerGrants = {
  /**
   * The sign-in a partner's logout names: its ID token's `sid`, found on the
   * codes and tokens issued with it (read at logout only, a rare event).
   */
  async endSignIn(m: EntityManager, clientId: string, sid: string): Promise<EndedSignIn[]> {
    const rows: { grant_id: string }[] = await m.query(
      `SELECT DISTINCT grant_id FROM oidc_payloads
        WHERE model IN ('AuthorizationCode', 'AccessToken') AND grant_id IS NOT NULL
          AND payload ->> 'clientId' = $1 AND payload ->> 'sid' = $2`,
      [clientId, sid],
    );
    return providerGrants.end(m, rows.map((r) => r.grant_id));
  },

  /** Every sign-in an aidant made at any partner that may still hold a live grant. */
  async endForAidant(m: EntityManager, aidantId: string, withinSeconds: number): Promise<EndedSignIn[]> {
    const rows: { id: string }[] = await m.query(
      `SELECT g.id FROM oidc_payloads g
        WHERE g.model = 'Grant'
          AND g.payload ->> 'accountId' IN (
            SELECT id::text FROM provider_uses
             WHERE aidant_id = $1 AND created_at > now() - make_interval(secs => $2))`,
      [aidantId, withinSeconds],
    );
    return providerGrants.end(m, rows.map((r) => r.id));
  },

  /** Deletes the grants and every code and token issued under them; returns the sign-ins (accounts) they were. */
  async end(m: EntityManager, grantIds: string[]): Promise<EndedSignIn[]> {
    if (grantIds.length === 0) return [];
    // TypeORM answers a DELETE … RETURNING with [rows, affected].
    const [rows]: [{ model: string; use_id: string | null; client_id: string | null }[], number] = await m.query(
      `DELETE FROM oidc_payloads WHERE grant_id = ANY($1) OR (model = 'Grant' AND id = ANY($1))
       RETURNING model, payload ->> 'accountId' AS use_id, payload ->> 'clientId' AS client_id`,
      [grantIds],
    );
    return rows
      .filter((r) => r.model === 'Grant' && r.use_id !== null && r.client_id !== null)
      .map((r) => ({ useId: r.use_id!, clientId: r.client_id! }));
  },
};

