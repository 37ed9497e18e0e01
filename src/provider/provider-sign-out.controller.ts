import { Body, Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppConfig } from '../../config/config.js';
import { requestFactsOf } from '../journal/request-facts.js';
import { destroySession, sessionCookie } from '../sessions/sessions.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { SkipCsrf } from '../web/csrf.js';
import { PROVIDER_PREFIX } from './provider.configuration.js';
import { SIGN_OUT_TOO_PATH } from './provider.sessions.js';
import { ProviderSignOutService } from './provider-sign-out.service.js';

/**
 * "Me déconnecter aussi de Procuration" on the provider's logout page. The
 * page is oidc-provider's, so its forms carry the library's logout token,
 * not our CSRF token: that token is checked instead. A 307 hands the same
 * form on to the library's confirmation, which ends the partner's sign-in
 * and returns to the partner.
 */
@Controller(SIGN_OUT_TOO_PATH.slice(1))
export class ProviderSignOutController {
  constructor(
    private readonly signOut: ProviderSignOutService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @SkipCsrf()
  async signOutToo(@Req() req: Request, @Res() res: Response, @Body() body: Record<string, unknown>): Promise<void> {
    if (await this.signOut.signOutToo({ req, res }, req.session?.aidant, body?.xsrf, requestFactsOf(req))) {
      await destroySession(req);
      const cookie = sessionCookie(this.config);
      res.clearCookie(cookie.name, cookie.options);
    }
    res.redirect(307, `${PROVIDER_PREFIX}/session/end/confirm`);
  }
}
