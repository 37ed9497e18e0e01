import { Controller, Get, Param, Post, Render, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { CurrentUsager, SignedInUsagerGuard } from '../usagers/usager-session.guard.js';
import type { UsagerView } from '../usagers/usagers.types.js';
import { MandatePagesService } from './mandate-pages.service.js';
import { RevocationConfirmationsService } from './revocation-confirmations.service.js';

/** The usager revokes one of their own mandates from `/usager`. */
@Controller('usager/mandats')
@UseGuards(SignedInUsagerGuard)
export class UsagerMandatesController {
  constructor(
    private readonly pages: MandatePagesService,
    private readonly confirmations: RevocationConfirmationsService,
  ) {}

  /** What the revocation ends, before the usager confirms it (the POST below). */
  @Get(':id/revocation')
  @Render('mandates/views/usager-revocation-confirmation.njk')
  revocationConfirmation(@CurrentUsager() usager: UsagerView, @Param('id') id: string) {
    return this.confirmations.forUsager(usager.id, id);
  }

  @Post(':id/revocation')
  async revoke(@Req() req: Request, @CurrentUsager() usager: UsagerView, @Param('id') id: string, @Res() res: Response) {
    await this.pages.revokeAsUsager(usager.id, id, requestFactsOf(req));
    res.redirect(303, '/usager?revoque=1');
  }
}
