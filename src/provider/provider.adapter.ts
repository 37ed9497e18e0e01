import { AsyncLocalStorage } from 'node:async_hooks';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { DataSource, EntityManager } from 'typeorm';
import { preparedStatement, runPrepared } from '../database/prepared-statement.js';
import type { PartnersService } from '../partners/partners.service.js';
import { accountSnapshotSql, snapshotOf, type SnapshotRow } from './provider-accounts.query.js';
import { clientMetadataOf } from './provider.clients.js';
import { ProviderRequestMemo } from './provider-request-memo.js';

/**
 * When a use case runs oidc-provider's storage inside its own transaction
 * (issuing a grant together with its journal entry), the adapter writes
 * through that transaction's manager, for the duration of `work` only.
 * (What a request has already read is another matter: ProviderRequestMemo.)
 */
const ambient = new AsyncLocalStorage<EntityManager>();

export function withProviderTransaction<T>(manager: EntityManager, work: () => Promise<T>): Promise<T> {
  return ambient.run(manager, work);
}

/** The strict form of a uuid: a token's accountId is cast only when it has it. */
const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** Models whose lookup also reads their grant (oidc-provider loads it right after, in the same request). */
const WITH_GRANT = new Set(['AccessToken', 'AuthorizationCode']);

/** Every statement the adapter sends: each runs on every step of every flow, so each is prepared. */
const SQL = {
  upsert: preparedStatement(
    'oidc_upsert',
    `INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, expires_at)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::int IS NULL THEN NULL ELSE now() + make_interval(secs => $6::int) END)
     ON CONFLICT (model, id) DO UPDATE
       SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
  ),
  findById: preparedStatement(
    'oidc_find_by_id',
    `SELECT payload, consumed_at FROM oidc_payloads
      WHERE model = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > now())`,
  ),
  findByUid: preparedStatement(
    'oidc_find_by_uid',
    `SELECT payload, consumed_at FROM oidc_payloads
      WHERE model = $1 AND uid = $2 AND (expires_at IS NULL OR expires_at > now())`,
  ),
  withSession: preparedStatement(
    'oidc_find_with_session',
    `SELECT i.payload, i.consumed_at, s.uid AS session_uid, s.payload AS session_payload, s.consumed_at AS session_consumed_at
       FROM oidc_payloads i
       LEFT JOIN oidc_payloads s
         ON s.model = 'Session' AND s.uid = i.payload #>> '{session,uid}' AND (s.expires_at IS NULL OR s.expires_at > now())
      WHERE i.model = $1 AND i.id = $2 AND (i.expires_at IS NULL OR i.expires_at > now())`,
  ),
  withGrant: preparedStatement(
    'oidc_find_with_grant',
    `SELECT t.payload, t.consumed_at, t.grant_id, g.payload AS grant_payload, g.consumed_at AS grant_consumed_at,
            s.uid AS session_uid, s.payload AS session_payload, s.consumed_at AS session_consumed_at,
            row_to_json(account) AS account
       FROM oidc_payloads t
       LEFT JOIN oidc_payloads g
         ON g.model = 'Grant' AND g.id = t.grant_id AND (g.expires_at IS NULL OR g.expires_at > now())
       LEFT JOIN oidc_payloads s
         ON (t.payload ->> 'expiresWithSession')::boolean IS TRUE AND s.model = 'Session' AND s.uid = t.payload ->> 'sessionUid'
        AND (s.expires_at IS NULL OR s.expires_at > now())
       LEFT JOIN LATERAL (${accountSnapshotSql(
         `CASE WHEN t.payload ->> 'accountId' ~ '${UUID_PATTERN}' THEN (t.payload ->> 'accountId')::uuid END`,
       )}) account ON true
      WHERE t.model = $1 AND t.id = $2 AND (t.expires_at IS NULL OR t.expires_at > now())`,
  ),
  consume: preparedStatement(
    'oidc_consume',
    `UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL`,
  ),
  destroy: preparedStatement('oidc_destroy', `DELETE FROM oidc_payloads WHERE model = $1 AND id = $2`),
  revokeByGrantId: preparedStatement('oidc_revoke_by_grant', `DELETE FROM oidc_payloads WHERE grant_id = $1`),
};

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

/**
 * Storage of every oidc-provider model (sessions, interactions, grants,
 * codes, access tokens, replay detection…) in `oidc_payloads`, so that any
 * instance serves any step of a flow. Expired rows are invisible at once and
 * deleted by the cleanup job. Consumption is a single UPDATE … WHERE
 * consumed_at IS NULL, so two instances cannot both redeem one code.
 */
/**
 * The ids oidc-provider looks up come from requests (codes, tokens, uids)
 * as sent: ours are printable ASCII (base64url, JWT ids), so anything else
 * is simply not found, never a statement PostgreSQL refuses (a NUL byte).
 */
const LOOKUP_ID = /^[\x21-\x7e]{1,512}$/;

export class PostgresAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly dataSource: DataSource,
  ) {}

  private get db(): EntityManager {
    return ambient.getStore() ?? this.dataSource.manager;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.forget(id, payload.uid);
    await runPrepared(this.db, SQL.upsert, [
      this.model,
      id,
      JSON.stringify(payload),
      payload.grantId ?? null,
      payload.uid ?? null,
      expiresIn ?? null,
    ]);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!LOOKUP_ID.test(id)) return undefined;
    // Read earlier in this request (ProviderRequestMemo), or read now with what the request will ask for next.
    const memo = ProviderRequestMemo.current();
    const kept = this.model === 'Grant' ? memo?.takeGrant(id) : undefined;
    if (kept) return kept;
    if (memo && WITH_GRANT.has(this.model)) return this.withGrant(id, memo);
    if (memo && this.model === 'Interaction') return this.withSession(id, memo);
    return this.one(SQL.findById, id);
  }

  /**
   * An interaction and the provider session it names (oidc-provider checks
   * that session right after reading the interaction) in one statement.
   */
  private async withSession(id: string, memo: ProviderRequestMemo): Promise<AdapterPayload | undefined> {
    const { rows } = await runPrepared<
      PayloadRow & { session_uid: string | null; session_payload: AdapterPayload | null; session_consumed_at: Date | null }
    >(this.db, SQL.withSession, [this.model, id]);
    const row = rows[0];
    if (!row) return undefined;
    if (row.session_uid !== null && row.session_payload !== null) {
      memo.keepSession(row.session_uid, withConsumed({ payload: row.session_payload, consumed_at: row.session_consumed_at }));
    }
    return withConsumed(row);
  }

  /** The row with its live grant, bound session and sign-in in one statement; they wait in the request's memo. */
  private async withGrant(id: string, memo: ProviderRequestMemo): Promise<AdapterPayload | undefined> {
    const { rows } = await runPrepared<
      PayloadRow & {
        grant_id: string | null;
        grant_payload: AdapterPayload | null;
        grant_consumed_at: Date | null;
        session_uid: string | null;
        session_payload: AdapterPayload | null;
        session_consumed_at: Date | null;
        account: SnapshotRow | null;
      }
    >(this.db, SQL.withGrant, [this.model, id]);
    const row = rows[0];
    if (!row) return undefined;
    if (row.grant_id !== null && row.grant_payload !== null) {
      memo.keepGrant(row.grant_id, withConsumed({ payload: row.grant_payload, consumed_at: row.grant_consumed_at }));
    }
    if (row.session_uid !== null && row.session_payload !== null) {
      memo.keepSession(row.session_uid, withConsumed({ payload: row.session_payload, consumed_at: row.session_consumed_at }));
    }
    if (row.account !== null) memo.keepAccount(snapshotOf(row.account));
    return withConsumed(row);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!LOOKUP_ID.test(uid)) return undefined;
    const kept = this.model === 'Session' ? ProviderRequestMemo.current()?.takeSession(uid) : undefined;
    if (kept) return kept;
    return this.one(SQL.findByUid, uid);
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined; // device flow is not enabled
  }

  async consume(id: string): Promise<void> {
    await runPrepared(this.db, SQL.consume, [this.model, id]);
  }

  async destroy(id: string): Promise<void> {
    this.forget(id);
    await runPrepared(this.db, SQL.destroy, [this.model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    ProviderRequestMemo.current()?.forgetGrant(grantId);
    // Every model of the grant (codes, tokens, the grant itself): a replayed code revokes all it issued.
    await runPrepared(this.db, SQL.revokeByGrantId, [grantId]);
  }

  /** A row this request writes or deletes is no longer served from its memo. */
  private forget(id: string, uid?: string): void {
    const memo = ProviderRequestMemo.current();
    if (this.model === 'Grant') memo?.forgetGrant(id);
    if (this.model === 'Session') memo?.forgetSession(uid);
  }

  private async one(statement: typeof SQL.findById, key: string): Promise<AdapterPayload | undefined> {
    const { rows } = await runPrepared<PayloadRow>(this.db, statement, [this.model, key]);
    const row = rows[0];
    return row ? withConsumed(row) : undefined;
  }
}

function withConsumed(row: PayloadRow): AdapterPayload {
  return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
}

/** How long a userinfo call may use a partner's metadata read by an earlier one. */
const USERINFO_CLIENT_TTL_MS = 60_000;
const CLIENTS_CACHED = 1_000;

/**
 * Partner clients are read from the partner table (active ones only), never
 * stored by oidc-provider: registration is the operator's, through the CLI.
 */
export class PartnerClientAdapter implements Adapter {
  /** Client metadata read for userinfo calls, by client id, with the time it was read. */
  private readonly forUserinfo = new Map<string, { metadata: AdapterPayload; readAt: number }>();

  constructor(
    private readonly partners: PartnersService,
    private readonly userinfoPath: string,
  ) {}

  /**
   * Always read from the partner table, except for userinfo calls: there the
   * client is not authenticated (the access token is), only its metadata is
   * used (signing algorithm), and the account lookup of the same call reads
   * the partner's active flag in its one statement, so a disabled partner's
   * tokens are still refused at once (ProviderAccounts.findAccount).
   */
  async find(clientId: string): Promise<AdapterPayload | undefined> {
    const userinfo = ProviderRequestMemo.current()?.path === this.userinfoPath;
    if (userinfo) {
      const cached = this.forUserinfo.get(clientId);
      if (cached && Date.now() - cached.readAt < USERINFO_CLIENT_TTL_MS) return cached.metadata;
    }
    const partner = await this.partners.activeCredentials(clientId, ambient.getStore());
    if (!partner) {
      this.forUserinfo.delete(clientId);
      return undefined;
    }
    const metadata = clientMetadataOf(partner) as AdapterPayload;
    if (userinfo) {
      if (this.forUserinfo.size >= CLIENTS_CACHED) this.forUserinfo.clear();
      this.forUserinfo.set(clientId, { metadata, readAt: Date.now() });
    }
    return metadata;
  }

  async upsert(): Promise<void> {
    throw new Error('partner clients are registered through the operator CLI');
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/** Deletes the expired rows (and consumed ones once expired); returns how many went. */
export async function deleteExpiredPayloads(dataSource: DataSource): Promise<number> {
  const result: [unknown[], number] = await dataSource.query(
    `DELETE FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at < now() - interval '1 minute'`,
  );
  return Array.isArray(result) ? result[1] : 0;
}
