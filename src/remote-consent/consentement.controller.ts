import { Body, Controller, Get, Param, Post, Render, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { browserSessionOf } from '../sessions/browser-session.js';
import { ConsentAnswersService } from './consent-answers.service.js';
import { ConsentCodeFormFilter } from './remote-consent.filters.js';

type Body = Record<string, unknown> | undefined;

/**
 * `/consentement`: the usager's pages, in their own browser, with no
 * account: the code form, the request's recap, FranceConnect, the answer.
 * `:token` is declared last so that the fixed paths are matched first.
 */
@Controller('consentement')
export class ConsentementController {
  constructor(private readonly answers: ConsentAnswersService) {}

  @Get()
  @Render('remote-consent/views/code.njk')
  codeForm() {
    return { pageTitle: 'Répondre à une demande de mandat', errors: {} };
  }

  @Post()
  @UseFilters(ConsentCodeFormFilter)
  async code(@Req() req: Request, @Body() body: Body, @Res() res: Response) {
    res.redirect(303, await this.answers.openCode(browserSessionOf(req), body?.code, requestFactsOf(req)));
  }

  @Get('demande')
  @Render('remote-consent/views/recapitulatif.njk')
  recap(@Req() req: Request) {
    return this.answers.recapPage(browserSessionOf(req));
  }

  @Post('demande/franceconnect')
  async franceConnect(@Req() req: Request, @Res() res: Response) {
    res.redirect(303, await this.answers.startFranceConnect(browserSessionOf(req), requestFactsOf(req)));
  }

  @Get('demande/accord')
  @Render('remote-consent/views/accord.njk')
  decision(@Req() req: Request) {
    return this.answers.decisionPage(browserSessionOf(req));
  }

  @Post('demande/accord')
  async accept(@Req() req: Request, @Res() res: Response) {
    res.redirect(303, await this.answers.accept(browserSessionOf(req), requestFactsOf(req)));
  }

  @Post('demande/refus')
  async refuse(@Req() req: Request, @Res() res: Response) {
    res.redirect(303, await this.answers.refuse(browserSessionOf(req), requestFactsOf(req)));
  }

  @Get('demande/resultat')
  @Render('remote-consent/views/resultat.njk')
  result(@Req() req: Request) {
    return this.answers.resultPage(browserSessionOf(req));
  }

  /** The mailed link: remembered in the session, then the recap at an address without the token. */
  @Get(':token')
  async link(@Req() req: Request, @Param('token') token: string, @Res() res: Response) {
    res.set('Cache-Control', 'no-store');
    res.redirect(303, await this.answers.openLink(browserSessionOf(req), token, requestFactsOf(req)));
  }
}
