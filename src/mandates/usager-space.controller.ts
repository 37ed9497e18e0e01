import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { currentUsagerOf } from '../usagers/usager-session.guard.js';
import { UsagerSessionService } from '../usagers/usager-session.service.js';
import type { UsagerView } from '../usagers/usagers.types.js';
import { identityDisplay } from '../web/french/index.js';
import { MandatePagesService } from './mandate-pages.service.js';

const ENDED_NOTICES = {
  idle_timeout: 'Votre session a expiré après 30 minutes d’inactivité. Identifiez-vous de nouveau.',
  absolute_timeout: 'Votre session a atteint sa durée maximale de 12 heures. Identifiez-vous de nouveau.',
};

/**
 * The usager's space at `/usager`: their identity and their mandates. It
 * lives here, not in usagers/, because it lists mandates: mandates depends
 * on usagers and never the other way (the sign-in and sign-out routes stay
 * in usagers/).
 */
@Controller('usager')
export class UsagerSpaceController {
  constructor(
    private readonly sessions: UsagerSessionService,
    private readonly pages: MandatePagesService,
  ) {}

  /** Signed in: the usager's space; otherwise the "S'identifier avec FranceConnect" page. */
  @Get()
  async home(@Req() req: Request, @Res() res: Response): Promise<void> {
    const current = await currentUsagerOf(this.sessions, req, res);
    if (!current.usager) {
      const notice = current.ended ? ENDED_NOTICES[current.ended] : null;
      return res.render('usagers/views/connexion.njk', { pageTitle: 'Mon espace', notice });
    }
    const mandates = await this.pages.usagerSection(current.usager.id);
    res.render('mandates/views/espace-usager.njk', { ...spaceOf(current.usager), mandates, revoked: req.query.revoque === '1' });
  }
}

function spaceOf(usager: UsagerView) {
  return { pageTitle: 'Mon espace', usager, identity: identityDisplay(usager) };
}
