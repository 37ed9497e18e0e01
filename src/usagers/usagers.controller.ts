import { Controller, Get, Post, Render, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { browserSessionOf } from '../sessions/browser-session.js';
import { SignedInUsagerGuard } from './usager-session.guard.js';
import { UsagerSessionService } from './usager-session.service.js';

/**
 * The usager's sign-in with FranceConnect and sign-out. The space itself
 * (`GET /usager`) lists mandates, so the mandates module serves it
 * (mandates/usager-space.controller.ts): this module knows nothing of mandates.
 */
@Controller('usager')
export class UsagersController {
  constructor(private readonly sessions: UsagerSessionService) {}

  /** Starts the FranceConnect round trip (a form post, so it carries the CSRF token). */
  @Post('connexion')
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.redirect(303, await this.sessions.startSignIn(browserSessionOf(req), requestFactsOf(req)));
  }

  /** Ends the usager's session, then FranceConnect's (end session), then shows the signed-out page. */
  @Post('deconnexion')
  @UseGuards(SignedInUsagerGuard)
  async signOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.locals.signedInUsager = undefined;
    res.redirect(303, await this.sessions.signOut(browserSessionOf(req), requestFactsOf(req)));
  }

  @Get('deconnexion')
  @Render('usagers/views/signed-out.njk')
  signedOut() {
    return { pageTitle: 'Déconnexion' };
  }
}
