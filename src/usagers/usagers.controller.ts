import { Controller, Get, Post, Render, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SignedInUsagerGuard } from './usager-session.guard.js';
import { UsagerSessionService } from './usager-session.service.js';
import type { UsagerView } from './usagers.types.js';

const ENDED_NOTICES = {
  idle_timeout: 'Votre session a expiré après 30 minutes d’inactivité. Identifiez-vous de nouveau.',
  absolute_timeout: 'Votre session a atteint sa durée maximale de 12 heures. Identifiez-vous de nouveau.',
};

/** The usager's space: sign-in with FranceConnect, their mandates and journal, sign-out. */
@Controller('usager')
export class UsagersController {
  constructor(private readonly sessions: UsagerSessionService) {}

  /** Signed in: the usager's space; otherwise the "S'identifier avec FranceConnect" page. */
  @Get()
  async home(@Req() req: Request, @Res() res: Response): Promise<void> {
    const current = await this.sessions.current(req, res);
    if (!current.usager) {
      const notice = current.ended ? ENDED_NOTICES[current.ended] : null;
      return res.render('usagers/views/connexion.njk', { pageTitle: 'Mon espace', notice });
    }
    res.render('usagers/views/espace.njk', spaceOf(current.usager));
  }

  /** Starts the FranceConnect round trip (a form post, so it carries the CSRF token). */
  @Post('connexion')
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.redirect(303, await this.sessions.startSignIn(req));
  }

  /** Ends the usager's session, then FranceConnect's (end session), then shows the signed-out page. */
  @Post('deconnexion')
  @UseGuards(SignedInUsagerGuard)
  async signOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    res.locals.signedInUsager = undefined;
    res.redirect(303, await this.sessions.signOut(req));
  }

  @Get('deconnexion')
  @Render('usagers/views/signed-out.njk')
  signedOut() {
    return { pageTitle: 'Déconnexion' };
  }
}

/** What the space shows. The mandates module adds `mandates` here (see espace.njk). */
function spaceOf(usager: UsagerView) {
  return { pageTitle: 'Mon espace', usager, birthdate: frenchDate(usager.birthdate) };
}

/** `1962-08-24` → `24/08/1962`. */
export function frenchDate(isoDate: string): string {
  const [year, month, day] = isoDate.split('-');
  return `${day}/${month}/${year}`;
}
