import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AidantAuthService } from '../aidants/aidant-auth.service.js';
import { requestFactsOf } from '../journal/request-facts.js';
import type { AppConfig } from '../../config/config.js';
import { destroySession, sessionCookie } from '../sessions/sessions.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { LogoutExpiredError } from './provider.errors.js';
import { ProviderService } from './provider.service.js';

/**
 * The logout page's second choice: the aidant leaves Procuration too. Only
 * for a browser whose provider session holds that very logout (its token),
 * so another site cannot sign the aidant out; the partner's own logout then
 * continues as with the first choice.
 */
@Injectable()
export class ProviderSignOutService {
  constructor(
    private readonly providers: ProviderService,
    private readonly auth: AidantAuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async signOutToo(req: Request, res: Response, xsrf: unknown): Promise<void> {
    if (!(await this.providers.logoutPending(req, res, xsrf))) throw new LogoutExpiredError();
    const aidant = req.session?.aidant;
    if (!aidant) return;
    // Journals the sign-out and ends the aidant's partner sign-ins (AidantSignOutHooks) in one transaction.
    await this.auth.signOut(aidant, requestFactsOf(req));
    await destroySession(req);
    const cookie = sessionCookie(this.config);
    res.clearCookie(cookie.name, cookie.options);
  }
}
