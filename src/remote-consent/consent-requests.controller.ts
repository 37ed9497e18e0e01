import { Body, Controller, Get, Param, Post, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentAidant, type AidantActor } from '../aidants/aidant-actor.js';
import { SignedInAidantGuard } from '../aidants/aidant-session.guard.js';
import { requestFactsOf } from '../journal/request-facts.js';
import { clearWizardState, loadWizardState } from '../mandates/wizard-state.js';
import { ConsentRequestFormFilter } from './remote-consent.filters.js';
import { ConsentRequestsService } from './consent-requests.service.js';
import './consent-session.js';

type Body = Record<string, unknown> | undefined;

/** The aidant's remote consent pages: prepare a request from the wizard, list, detail, cancel. */
@Controller('aidant')
@UseGuards(SignedInAidantGuard)
export class ConsentRequestsController {
  constructor(private readonly requests: ConsentRequestsService) {}

  @Get('mandats/nouveau/a-distance')
  @Render('remote-consent/views/a-distance.njk')
  form(@CurrentAidant() actor: AidantActor, @Req() req: Request) {
    return { ...this.requests.formPage(loadWizardState(req.session), actor), values: {}, errors: {} };
  }

  @Post('mandats/nouveau/a-distance')
  @UseFilters(ConsentRequestFormFilter)
  async create(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: Body, @Res() res: Response) {
    const created = await this.requests.create(loadWizardState(req.session), actor, body, requestFactsOf(req));
    clearWizardState(req.session);
    if (req.session.aidant) req.session.aidant.totpAt = created.totpAt;
    if (created.code) req.session.consentCodeToShow = { requestId: created.requestId, code: created.code };
    res.redirect(303, `/aidant/consentements/${created.requestId}`);
  }

  @Get('consentements')
  @Render('remote-consent/views/demandes.njk')
  list(@CurrentAidant() actor: AidantActor) {
    return this.requests.list(actor);
  }

  /** The code of a phone request is shown once, on the page right after its creation (only its digest is kept). */
  @Get('consentements/:id')
  @Render('remote-consent/views/demande.njk')
  detail(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string) {
    const toShow = req.session.consentCodeToShow;
    const code = toShow?.requestId === id ? toShow.code : null;
    if (code) delete req.session.consentCodeToShow;
    return this.requests.detail(actor, id, code);
  }

  @Get('consentements/:id/annulation')
  @Render('remote-consent/views/annulation.njk')
  cancelPage(@CurrentAidant() actor: AidantActor, @Param('id') id: string) {
    return this.requests.cancelPage(actor, id);
  }

  @Post('consentements/:id/annulation')
  async cancel(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string, @Res() res: Response) {
    await this.requests.cancel(actor, id, requestFactsOf(req));
    res.redirect(303, `/aidant/consentements/${id}`);
  }
}
