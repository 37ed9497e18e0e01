import { AsyncLocalStorage } from 'node:async_hooks';
import type { AdapterPayload } from 'oidc-provider';
import type { AccountSnapshot } from './provider-accounts.query.js';

/**
 * What one HTTP request to the provider face has already read from the
 * database. oidc-provider looks up a token, then its grant, then its
 * session, then its account, each through a separate hook; the memo lets
 * the first lookup read them all in one statement and hand them to the
 * others, so that a userinfo call costs two statements (this read and the
 * journal entry) instead of one per hook.
 *
 * Its life:
 * - **Created** empty, one per request, by `ProviderRequestMemo.run`:
 *   `ProviderService.handle` for every route under the provider's prefix,
 *   and `ProviderInteractionsService` around `interactionDetails` on our
 *   own sign-in pages. It is bound to that request's asynchronous context;
 *   no other request can reach it.
 * - **Filled** by `PostgresAdapter` only: reading an access token or a code
 *   also reads its grant, the provider session it is bound to and its
 *   sign-in (`accountSnapshotSql`: the use, its liveness, every claim);
 *   reading an interaction also reads the provider session it names.
 * - **Read** by the later lookups of the same request: `PostgresAdapter`
 *   takes a grant or a session (served once, then gone: a second lookup
 *   reads the database); `ProviderAccounts` reads the sign-in (as fresh as
 *   the token it came with); `PartnerClientAdapter` reads the request's
 *   path (a userinfo call may use a client read shortly before).
 * - **Forgotten** in part when the request writes: a grant or a session
 *   the request saves or deletes is no longer served from the memo.
 * - **Gone** with the request: nothing refers to it once the handler's
 *   asynchronous work has ended; nothing is kept from one request to the
 *   next. Outside a request (operator CLI, cleanup job, a use case's own
 *   transaction) there is no memo and every lookup reads the database.
 */
export class ProviderRequestMemo {
  private static readonly storage = new AsyncLocalStorage<ProviderRequestMemo>();

  /** Grants by id, read with the token or code that names them. */
  private readonly grants = new Map<string, AdapterPayload>();
  /** Provider sessions by uid, read with the interaction or the token that names them. */
  private readonly sessions = new Map<string, AdapterPayload>();
  /** Sign-ins by use id, read with the token or code that names them. */
  private readonly accounts = new Map<string, AccountSnapshot>();

  private constructor(
    /** The request's path (no query string). */
    readonly path: string,
  ) {}

  /** Runs `work` (the handling of one request) with a fresh, empty memo. */
  static run<T>(path: string, work: () => T): T {
    return ProviderRequestMemo.storage.run(new ProviderRequestMemo(path), work);
  }

  /** The memo of the request being handled, or undefined outside one. */
  static current(): ProviderRequestMemo | undefined {
    return ProviderRequestMemo.storage.getStore();
  }

  keepGrant(id: string, payload: AdapterPayload): void {
    this.grants.set(id, payload);
  }

  /** The grant read earlier in this request, once. */
  takeGrant(id: string): AdapterPayload | undefined {
    const grant = this.grants.get(id);
    this.grants.delete(id);
    return grant;
  }

  forgetGrant(id: string): void {
    this.grants.delete(id);
  }

  keepSession(uid: string, payload: AdapterPayload): void {
    this.sessions.set(uid, payload);
  }

  /** The provider session read earlier in this request, once. */
  takeSession(uid: string): AdapterPayload | undefined {
    const session = this.sessions.get(uid);
    this.sessions.delete(uid);
    return session;
  }

  /** A session written or deleted: that one, or every one when its uid is not known. */
  forgetSession(uid?: string): void {
    if (uid) this.sessions.delete(uid);
    else this.sessions.clear();
  }

  keepAccount(snapshot: AccountSnapshot): void {
    this.accounts.set(snapshot.use.id, snapshot);
  }

  /** The sign-in read with this request's token or code (oidc-provider may ask for it several times). */
  account(useId: string): AccountSnapshot | undefined {
    return this.accounts.get(useId);
  }
}
