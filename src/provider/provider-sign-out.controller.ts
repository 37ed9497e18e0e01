import { Body, Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
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
  constructor(private readonly signOut: ProviderSignOutService) {}

  @Post()
  @SkipCsrf()
  async signOutToo(@Req() req: Request, @Res() res: Response, @Body() body: Record<string, unknown>): Promise<void> {
    await this.signOut.signOutToo(req, res, body?.xsrf);
    res.redirect(307, `${PROVIDER_PREFIX}/session/end/confirm`);
  }
}
