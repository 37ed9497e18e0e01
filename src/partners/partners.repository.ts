import type { EntityManager } from 'typeorm';
import { preparedStatement, runPrepared } from '../database/prepared-statement.js';
import type { DemarcheId } from '../demarches/demarches.js';
import type { PartnerAuthMethod, PartnerScope, PartnerSigningAlg, PartnerView } from './partners.types.js';

/** A `partners` row as stored (the secret still sealed). */
export interface PartnerRow {
  id: string;
  name: string;
  client_id: string;
  token_endpoint_auth_method: PartnerAuthMethod;
  secret_sealed: string | null;
  jwks: { keys: object[] } | null;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  demarches: DemarcheId[];
  scopes: PartnerScope[];
  id_token_signed_response_alg: PartnerSigningAlg;
  userinfo_signed_response_alg: PartnerSigningAlg | null;
  active: boolean;
  created_at: Date;
}

const COLUMNS = `id, name, client_id, token_endpoint_auth_method, secret_sealed, jwks, redirect_uris,
  post_logout_redirect_uris, demarches, scopes, id_token_signed_response_alg, userinfo_signed_response_alg, active, created_at`;

export function toPartnerView(row: PartnerRow): PartnerView {
  return {
    id: row.id,
    name: row.name,
    clientId: row.client_id,
    authMethod: row.token_endpoint_auth_method,
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    demarches: row.demarches,
    scopes: row.scopes,
    idTokenAlg: row.id_token_signed_response_alg,
    userinfoAlg: row.userinfo_signed_response_alg,
    active: row.active,
    createdAt: row.created_at,
  };
}

/** Read on every request of a partner's flow (oidc-provider's client lookup): prepared once per connection. */
const BY_CLIENT_ID = preparedStatement('partner_by_client_id', `SELECT ${COLUMNS} FROM partners WHERE client_id = $1`);

/** Queries of the partner table, each named for the question it answers. */
export const partnerRows = {
  async findByClientId(m: EntityManager, clientId: string): Promise<PartnerRow | undefined> {
    const { rows } = await runPrepared<PartnerRow>(m, BY_CLIENT_ID, [clientId]);
    return rows[0];
  },

  async findById(m: EntityManager, id: string): Promise<PartnerRow | undefined> {
    const rows: PartnerRow[] = await m.query(`SELECT ${COLUMNS} FROM partners WHERE id = $1`, [id]);
    return rows[0];
  },

  async listAll(m: EntityManager): Promise<PartnerRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM partners ORDER BY name, client_id`);
  },

  async insert(
    m: EntityManager,
    p: Omit<PartnerRow, 'id' | 'active' | 'created_at'>,
  ): Promise<PartnerRow> {
    const rows: PartnerRow[] = await m.query(
      `INSERT INTO partners (name, client_id, token_endpoint_auth_method, secret_sealed, jwks, redirect_uris,
         post_logout_redirect_uris, demarches, scopes, id_token_signed_response_alg, userinfo_signed_response_alg)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLUMNS}`,
      [
        p.name,
        p.client_id,
        p.token_endpoint_auth_method,
        p.secret_sealed,
        p.jwks === null ? null : JSON.stringify(p.jwks),
        p.redirect_uris,
        p.post_logout_redirect_uris,
        p.demarches,
        p.scopes,
        p.id_token_signed_response_alg,
        p.userinfo_signed_response_alg,
      ],
    );
    return rows[0]!;
  },

  async setActive(m: EntityManager, id: string, active: boolean): Promise<void> {
    await m.query(`UPDATE partners SET active = $2, updated_at = now() WHERE id = $1`, [id, active]);
  },

  async setSecret(m: EntityManager, id: string, sealed: string): Promise<void> {
    await m.query(`UPDATE partners SET secret_sealed = $2, updated_at = now() WHERE id = $1`, [id, sealed]);
  },
};
