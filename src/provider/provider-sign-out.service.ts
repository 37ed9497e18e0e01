import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { AidantAuthService } from '../aidants/aidant-auth.service.js';
import type { RequestFacts } from '../journal/journal.types.js';
import type { AidantSession } from '../sessions/session-data.js';
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
  ) {}

  /**
   * Checks the logout token against the provider's session (oidc-provider
   * reads its cookie from Node's own request and response), then signs the
   * aidant out. Returns whether an aidant was signed out: the caller then
   * ends the browser's session.
   */
  async signOutToo(
    http: { req: IncomingMessage & { secure?: boolean }; res: ServerResponse },
    aidant: AidantSession | undefined,
    xsrf: unknown,
    request: RequestFacts,
  ): Promise<boolean> {
    if (!(await this.providers.logoutPending(http.req, http.res, xsrf))) throw new LogoutExpiredError();
    if (!aidant) return false;
    // Journals the sign-out and ends the aidant's partner sign-ins (AidantSignOutHooks) in one transaction.
    await this.auth.signOut(aidant, request);
    return true;
  }
}
