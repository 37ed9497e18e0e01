import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { JournalService } from '../journal/journal.service.js';
import { KeysService } from '../keys/keys.service.js';
import { PartnersService } from '../partners/partners.service.js';
import { secureCookies } from '../sessions/sessions.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { ProviderAccounts } from './provider.accounts.js';
import { journalFieldsOfUse } from './provider-uses.repository.js';
import { PartnerClientAdapter, PostgresAdapter } from './provider.adapter.js';
import { ProviderRequestMemo } from './provider-request-memo.js';
import { otherAuthMethod } from './provider.client-auth.js';
import { ProviderLogouts } from './provider-logouts.service.js';
import { freshSessionOnResume, showLogoutPage, signInBeingLoggedOut } from './provider.sessions.js';
import { PROVIDER_PREFIX, providerConfiguration, RETIRED_KEY_PUBLISHED_SECONDS, USERINFO_ROUTE } from './provider.configuration.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** How often an instance looks for keys rotated by the operator. */
const KEYS_CHECK_MS = 30_000;

/**
 * The provider face: one oidc-provider instance over our PostgreSQL storage
 * and the partner table, signing with the `provider` keys. Rebuilt (it is
 * stateless) when the operator rotates those keys. (Expired rows: ProviderCleanup.)
 */
@Injectable()
export class ProviderService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Provider');
  private current: { provider: Provider; handler: Handler; kids: string } | undefined;
  private building: Promise<Provider> | undefined;
  private checkedAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly keys: KeysService,
    private readonly partners: PartnersService,
    private readonly accounts: ProviderAccounts,
    private readonly journal: JournalService,
    private readonly logouts: ProviderLogouts,
  ) {}

  /** Ready before the first partner arrives (keys loaded or created once, at start). */
  async onApplicationBootstrap(): Promise<void> {
    await this.provider();
  }

  /** The current oidc-provider instance (built on first use, rebuilt after a key rotation). */
  async provider(): Promise<Provider> {
    if (this.current && Date.now() - this.checkedAt < KEYS_CHECK_MS) return this.current.provider;
    this.building ??= this.refresh().finally(() => (this.building = undefined));
    return this.building;
  }

  /** Looks for rotated keys now rather than within 30 s (after a rotation in this process). */
  async reloadKeys(): Promise<void> {
    this.checkedAt = 0;
    await this.provider();
  }

  /** Whether this browser's provider session holds a logout in progress whose form carried `xsrf`. */
  async logoutPending(req: IncomingMessage & { secure?: boolean }, res: ServerResponse, xsrf: unknown): Promise<boolean> {
    const provider = await this.provider();
    const session = await provider.Session.get({ req, res, secure: req.secure === true } as never);
    const secret = (session.state as { secret?: unknown } | undefined)?.secret;
    if (typeof secret !== 'string' || typeof xsrf !== 'string') return false;
    const [a, b] = [Buffer.from(secret), Buffer.from(xsrf)];
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Express handler for everything under PROVIDER_PREFIX. */
  readonly handle = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    this.provider().then(
      () => ProviderRequestMemo.run((req.url ?? '').split('?')[0]!, () => this.current!.handler(req, res)),
      (error: unknown) => next(error),
    );
  };

  private async refresh(): Promise<Provider> {
    const keys = await this.keys.privateJwks('provider', RETIRED_KEY_PUBLISHED_SECONDS);
    const kids = keys.map((k) => k.kid).join(',');
    this.checkedAt = Date.now();
    if (this.current?.kids === kids) return this.current.provider;
    const provider = this.build(keys);
    this.current = { provider, handler: provider.callback() as Handler, kids };
    this.logger.log(`provider face ready with keys ${kids}`);
    return provider;
  }

  private build(keys: Awaited<ReturnType<KeysService['privateJwks']>>): Provider {
    const clientAdapter = new PartnerClientAdapter(this.partners, USERINFO_ROUTE);
    const provider = new Provider(
      this.config.publicUrl,
      providerConfiguration({
        sessionSecret: this.config.sessionSecret,
        secureCookies: secureCookies(this.config),
        keys,
        adapter: (model: string) => (model === 'Client' ? clientAdapter : new PostgresAdapter(model, this.dataSource)),
        hooks: {
          findAccount: (ctx, id) => this.accounts.findAccount(ctx, id),
          pairwiseIdentifier: (accountId, clientId) => this.accounts.pairwiseIdentifier(accountId, clientId),
          introspectionAllowed: async (_ctx, clientId, token) => {
            if (token.clientId !== clientId) return false;
            return token.accountId ? this.accounts.isLiveUse(token.accountId) : false;
          },
        },
      }),
    );
    provider.proxy = this.config.trustProxy;
    provider.use(async (koa, next) => {
      const ctx = koa as KoaContextWithOIDC;
      await freshSessionOnResume(provider, ctx);
      const loggingOut = await signInBeingLoggedOut(provider, ctx);
      await next();
      if (ctx.oidc?.route === 'end_session' && ctx.status === 200) return showLogoutPage(ctx);
      if (loggingOut && ctx.status === 303) return this.logouts.partnerLoggedOut(loggingOut.clientId, loggingOut.sid);
      const refused = otherAuthMethod(ctx);
      if (refused?.grantId) await this.logouts.endGrant(refused.grantId);
      if (refused) return;
      return this.afterEndpoints(ctx);
    });
    // The ID token names its sign-in (`sid`), so that the partner's logout ends that sign-in's grant only.
    provider.Client.prototype.includeSid = () => true;
    return provider;
  }

  /** Userinfo and active introspection answers are journaled. */
  private async afterEndpoints(ctx: KoaContextWithOIDC): Promise<void> {
    const route = ctx.oidc?.route;
    if (route === 'discovery') return hideRefreshTokens(ctx);
    if (ctx.status !== 200 || (route !== 'userinfo' && route !== 'introspection')) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (route === 'introspection' && body?.active !== true) return;
    const token = ctx.oidc.entities.AccessToken as { accountId?: string } | undefined;
    const accountId = token?.accountId;
    const use = accountId ? await this.accounts.findUse(accountId) : null;
    const clientId = ctx.oidc.client?.clientId ?? '';
    if (!use) return;
    // Serving a read changes nothing else: the entry alone, one statement (no BEGIN/COMMIT round trips).
    await this.journal.appendAlone({
      action: 'partner.userinfo_served',
      ...journalFieldsOfUse(use),
      details: { clientId, useId: use.id, endpoint: route },
    });
  }
}

/** No refresh token is ever issued: discovery does not advertise the grant (oidc-provider always registers it). */
function hideRefreshTokens(ctx: KoaContextWithOIDC): void {
  const body = ctx.body as { grant_types_supported?: string[] } | undefined;
  if (body?.grant_types_supported) body.grant_types_supported = body.grant_types_supported.filter((g) => g !== 'refresh_token');
}

export { PROVIDER_PREFIX };
