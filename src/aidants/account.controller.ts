import { Body, Controller, Get, Header, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { rotateSessionId } from '../sessions/sessions.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { CurrentAidant, type AidantActor } from './aidant-actor.js';
import { RecentTotpGuard, SignedInAidantGuard } from './aidant-session.guard.js';
import { AccountService } from './account.service.js';

const PASSWORD_PAGE = 'aidants/views/mot-de-passe.njk';
const PASSWORD_TITLE = 'Changer de mot de passe';

/** `/aidant/mot-de-passe` and `/aidant/sessions`: the signed-in aidant's own account. */
@Controller('aidant')
@UseGuards(SignedInAidantGuard)
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Get('mot-de-passe')
  @Header('Cache-Control', 'no-store')
  @Render(PASSWORD_PAGE)
  passwordForm() {
    return { pageTitle: PASSWORD_TITLE, errors: {} };
  }

  /** A refused form comes back without any of the passwords typed. */
  @Post('mot-de-passe')
  @Header('Cache-Control', 'no-store')
  @UseFilters(new FormPageFilter(PASSWORD_PAGE, () => ({ pageTitle: PASSWORD_TITLE })))
  async changePassword(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: unknown, @Res() res: Response) {
    const totpAt = await this.account.changePassword(actor, req.sessionID, body, requestFactsOf(req));
    // A re-authentication: this session gets a new id, and its code is fresh.
    await rotateSessionId(req, totpAt);
    res.status(200).render('aidants/views/mot-de-passe-change.njk', { pageTitle: 'Mot de passe changé' });
  }

  @Get('sessions')
  @Header('Cache-Control', 'no-store')
  @Render('aidants/views/sessions.njk')
  async sessions(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Query('terminees') ended: unknown) {
    return {
      pageTitle: 'Vos sessions',
      sessions: await this.account.sessions(actor, req.sessionID),
      ended: typeof ended === 'string' && /^\d{1,4}$/.test(ended) ? Number(ended) : null,
    };
  }

  /** Ending sessions asks for a code of the last 15 minutes (ASVS 7.5.2: authenticated again with a factor). */
  @Post('sessions/terminer')
  @UseGuards(RecentTotpGuard)
  async endOne(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: Record<string, unknown> | undefined, @Res() res: Response) {
    await this.account.endOne(actor, req.sessionID, body?.session, requestFactsOf(req));
    res.redirect(303, '/aidant/sessions?terminees=1');
  }

  @Post('sessions/terminer-les-autres')
  @UseGuards(RecentTotpGuard)
  async endOthers(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Res() res: Response) {
    const count = await this.account.endOthers(actor, req.sessionID, requestFactsOf(req));
    res.redirect(303, `/aidant/sessions?terminees=${count}`);
  }
}
