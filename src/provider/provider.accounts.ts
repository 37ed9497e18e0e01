import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.js';
import { JournalService } from '../journal/journal.service.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { pairwiseSub } from './provider.claims.js';
import { readAccountSnapshot, type AccountSnapshot } from './provider-accounts.query.js';
import { ProviderRequestMemo } from './provider-request-memo.js';
import { journalFieldsOfUse, providerUses, type ProviderUse } from './provider-uses.repository.js';

/** Routes where a token is presented: the autorisation must still be live at that very moment. */
const LIVE_CHECKED_ROUTES = new Set(['token', 'userinfo']);
/** Uses kept in memory (a few hundred bytes each): more than the sign-ins of a token's lifetime on one instance. */
const USES_CACHED = 5_000;

/**
 * oidc-provider's accounts: a "use" (aidant × usager × mandate × démarche ×
 * partner) recorded when the aidant confirmed. Presenting a code or an access
 * token re-checks, at the time of the call, that the autorisation is live.
 */
@Injectable()
export class ProviderAccounts {
  private readonly logger = new Logger('ProviderAccounts');
  private readonly pairwiseKey: string;
  /**
   * A use is written once and never changed (provider_uses has no UPDATE or
   * DELETE), so every instance may keep the ones it has read: oidc-provider
   * asks for the account three times per token or userinfo call (account,
   * pairwise subject, journal). Liveness is never cached: `findAccount` reads
   * it, with the claims, from the database on every call.
   */
  private readonly uses = new Map<string, ProviderUse>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly journal: JournalService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.pairwiseKey = config.provider.pairwiseKey;
  }

  async findAccount(ctx: KoaContextWithOIDC, id: string): Promise<Account | undefined> {
    // One statement: the use, whether it is live, its partner's active flag and every claim.
    const snapshot = await this.snapshot(id);
    if (!snapshot) return undefined;
    const { use } = snapshot;
    if (LIVE_CHECKED_ROUTES.has(ctx.oidc.route)) {
      if (!snapshot.partnerActive) {
        this.logger.log({ route: ctx.oidc.route }, 'partner disabled: token refused');
        return undefined;
      }
      if (!snapshot.live) {
        this.logger.log({ route: ctx.oidc.route }, 'autorisation no longer live: token refused');
        if (ctx.oidc.route === 'token') await this.journalRefusal(use, ctx.oidc.client?.clientId ?? 'unknown');
        return undefined;
      }
    }
    return { accountId: id, claims: () => claimsOf(snapshot) };
  }

  /** Introspection: the token's sign-in is still live, and its partner active, right now. */
  async isLiveUse(id: string): Promise<boolean> {
    const snapshot = await this.snapshot(id);
    return snapshot !== null && snapshot.live && snapshot.partnerActive;
  }

  async findUse(id: string): Promise<ProviderUse | null> {
    const cached = this.uses.get(id);
    if (cached) return cached;
    const use = await providerUses.findById(this.dataSource.manager, id);
    if (use) this.remember(use);
    return use;
  }

  subFor(use: ProviderUse, clientId: string): string {
    return pairwiseSub(this.pairwiseKey, use.usagerId, clientId);
  }

  /** oidc-provider's pairwise hook: the account is a sign-in; the subject is its usager's, for this client. */
  async pairwiseIdentifier(accountId: string, clientId: string): Promise<string> {
    const use = await this.findUse(accountId);
    if (!use) throw new Error('pairwise subject asked for an unknown provider use');
    return this.subFor(use, clientId);
  }

  private async snapshot(id: string): Promise<AccountSnapshot | null> {
    // Read with the token or code of this very request when there is one (same statement), else now.
    const snapshot = ProviderRequestMemo.current()?.account(id) ?? (await readAccountSnapshot(this.dataSource.manager, id));
    if (snapshot) this.remember(snapshot.use);
    return snapshot;
  }

  private remember(use: ProviderUse): void {
    if (this.uses.has(use.id)) return;
    if (this.uses.size >= USES_CACHED) this.uses.delete(this.uses.keys().next().value!);
    this.uses.set(use.id, use);
  }

  private async journalRefusal(use: ProviderUse, clientId: string): Promise<void> {
    // A refusal changes nothing else: the entry alone, one statement.
    await this.journal.appendAlone({
      action: 'partner.access_refused',
      ...journalFieldsOfUse(use),
      details: { clientId, reason: 'autorisation_not_live' },
    });
  }
}

/** The claims of a sign-in; `sub` is the account id, made pairwise by oidc-provider through `pairwiseIdentifier`. */
function claimsOf({ use, usager, aidant, structure }: AccountSnapshot) {
  return {
    sub: use.id,
    given_name: usager.givenName,
    family_name: usager.familyName,
    ...(usager.preferredUsername ? { preferred_username: usager.preferredUsername } : {}),
    birthdate: usager.birthdate,
    gender: usager.gender,
    birthplace: usager.birthplace,
    birthcountry: usager.birthcountry,
    ...(usager.email ? { email: usager.email } : {}),
    act: {
      sub: aidant.id,
      given_name: aidant.givenName,
      family_name: aidant.familyName,
      structure: { siret: structure.siret, name: structure.name },
    },
    demarche: use.demarche,
    mandate: use.mandateId,
    rep_scope: use.repScope.length > 0 ? use.repScope : [use.demarche],
    acr: 'eidas1',
  };
}
