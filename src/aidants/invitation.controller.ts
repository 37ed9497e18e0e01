import { Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { FormInput } from '../web/form-input.js';
import { InvitationPagesService } from './invitation-pages.service.js';

function tokenOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * `/aidant/invitation?jeton=…`: set a password and enrol an authenticator app
 * (one-time link). The token is in the query string and the form body, never
 * in the path, so request logs never carry it.
 */
@Controller('aidant/invitation')
export class InvitationController {
  constructor(private readonly pages: InvitationPagesService) {}

  @Get()
  async form(@Query('jeton') token: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    res.render('aidants/views/invitation.njk', { ...(await this.pages.model(tokenOf(token), req.session)), errors: {} });
  }

  @Post()
  @UseFilters(new FormPageFilter('aidants/views/invitation.njk', (req) => req.res?.locals.invitationPage ?? null))
  async accept(@Req() req: Request, @Res() res: Response): Promise<void> {
    const token = tokenOf((req.body as Record<string, unknown> | undefined)?.jeton);
    res.locals.invitationPage = await this.pages.model(token, req.session);
    const form = new FormInput(req.body);
    const password = form.text('password', 'un mot de passe', { max: 1024, trim: false });
    const confirmation = form.text('confirmation', 'la confirmation du mot de passe', { max: 1024, trim: false });
    const totp = form.totp();
    form.done();
    await this.pages.accept(token, req.session, { password, confirmation, totp }, requestFactsOf(req));
    res.status(200).render('aidants/views/activated.njk', { pageTitle: 'Compte activé' });
  }
}
