import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { browserSessionOf } from '../sessions/browser-session.js';
import { FranceConnectFlowService } from './franceconnect-flow.service.js';

/** The relying party's two addresses registered at FranceConnect. */
@Controller('franceconnect')
export class FranceConnectController {
  constructor(private readonly flow: FranceConnectFlowService) {}

  /** FranceConnect sends the browser back here with `code` and `state` (or `error`). */
  @Get('callback')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.set('Cache-Control', 'no-store');
    res.redirect(303, await this.flow.complete(browserSessionOf(req), requestFactsOf(req), req.originalUrl));
  }

  /** FranceConnect's end session sends the browser back here with the logout `state`. */
  @Get('deconnexion')
  loggedOut(@Req() req: Request, @Query('state') state: unknown, @Res() res: Response): void {
    res.set('Cache-Control', 'no-store');
    const next = req.session ? this.flow.finishLogout(browserSessionOf(req), state) : null;
    if (next) return res.redirect(303, next);
    res.render('franceconnect/views/logged-out.njk', { pageTitle: 'Déconnexion de FranceConnect' });
  }
}
