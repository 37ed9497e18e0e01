import { Body, Controller, Get, Param, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentAidant, type AidantActor } from '../aidants/aidant-actor.js';
import { RecentTotpGuard, SignedInAidantGuard } from '../aidants/aidant-session.guard.js';
import { requestFactsOf } from '../journal/request-facts.js';
import { browserSessionOf } from '../sessions/browser-session.js';
import { RepeatedFields } from '../web/input-guard.js';
import { ChoiceFormFilter, RecapFormFilter, RenewalFormFilter, RevocationFormFilter } from './mandate-form.filters.js';
import { MandatePagesService } from './mandate-pages.service.js';
import { MandateWizardService } from './mandate-wizard.service.js';
import { RevocationConfirmationsService } from './revocation-confirmations.service.js';
import { clearWizardState, loadWizardState, saveWizardState } from './wizard-state.js';

type Body = Record<string, unknown> | undefined;

/** A TOTP code accepted by a use case refreshes the session's re-authentication time. */
function noteTotp(req: Request, totpAt: number): void {
  if (req.session.aidant) req.session.aidant.totpAt = totpAt;
}

/** The aidant's mandate pages: dashboard, ended mandates, wizard, detail, renewal, revocation, attestations. */
@Controller('aidant')
@UseGuards(SignedInAidantGuard)
export class MandatesController {
  constructor(
    private readonly wizard: MandateWizardService,
    private readonly pages: MandatePagesService,
    private readonly confirmations: RevocationConfirmationsService,
  ) {}

  @Get()
  @Render('mandates/views/tableau-de-bord.njk')
  dashboard(@CurrentAidant() actor: AidantActor, @Query() query: Record<string, unknown>) {
    return this.pages.dashboard(actor, query);
  }

  @Get('mandats-termines')
  @Render('mandates/views/mandats-termines.njk')
  endedMandates(@CurrentAidant() actor: AidantActor, @Query() query: Record<string, unknown>) {
    return this.pages.endedMandates(actor, query);
  }

  @Get('mandats/nouveau')
  @Render('mandates/views/nouveau.njk')
  async choiceForm(@CurrentAidant() actor: AidantActor, @Req() req: Request) {
    clearWizardState(req.session);
    return { ...(await this.wizard.choiceForm(actor)), values: {}, errors: {} };
  }

  @Post('mandats/nouveau')
  @RepeatedFields('demarches')
  @UseFilters(ChoiceFormFilter)
  async start(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: Body, @Res() res: Response) {
    saveWizardState(req.session, await this.wizard.start(actor, body, requestFactsOf(req)));
    res.redirect(303, '/aidant/mandats/nouveau/franceconnect');
  }

  @Get('mandats/nouveau/franceconnect')
  @Render('mandates/views/franceconnect.njk')
  consentPage(@CurrentAidant() actor: AidantActor, @Req() req: Request) {
    return this.wizard.consentPage(loadWizardState(req.session), actor);
  }

  @Post('mandats/nouveau/franceconnect')
  async startConsent(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Res() res: Response) {
    const url = await this.wizard.startConsent(loadWizardState(req.session), actor, browserSessionOf(req), requestFactsOf(req));
    res.redirect(303, url);
  }

  @Get('mandats/nouveau/recapitulatif')
  @Render('mandates/views/recapitulatif.njk')
  recap(@CurrentAidant() actor: AidantActor, @Req() req: Request) {
    return { ...this.wizard.recapPage(loadWizardState(req.session), actor), errors: {} };
  }

  @Post('mandats/nouveau/recapitulatif')
  @UseFilters(RecapFormFilter)
  async confirm(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: Body, @Res() res: Response) {
    const created = await this.wizard.confirm(loadWizardState(req.session), actor, body, requestFactsOf(req));
    saveWizardState(req.session, created.state);
    noteTotp(req, created.totpAt);
    res.redirect(303, `/aidant/mandats/${created.mandateId}?cree=1`);
  }

  @Post('mandats/nouveau/abandon')
  abandon(@Req() req: Request, @Res() res: Response) {
    clearWizardState(req.session);
    res.redirect(303, '/aidant');
  }

  @Get('mandats/:id')
  @Render('mandates/views/mandat.njk')
  detail(@CurrentAidant() actor: AidantActor, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    return this.pages.detail(actor, id, { created: query.cree === '1', revoked: query.revoque === '1' });
  }

  @Get('mandats/:id/renouvellement')
  @Render('mandates/views/renouvellement.njk')
  async renewalForm(@CurrentAidant() actor: AidantActor, @Param('id') id: string) {
    return { ...(await this.wizard.renewalPage(actor, id)), errors: {} };
  }

  @Post('mandats/:id/renouvellement')
  @RepeatedFields('demarches')
  @UseFilters(RenewalFormFilter)
  async renew(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string, @Body() body: Body, @Res() res: Response) {
    const renewed = await this.wizard.renew(actor, id, body, requestFactsOf(req));
    noteTotp(req, renewed.totpAt);
    res.redirect(303, `/aidant/mandats/${renewed.mandateId}?cree=1`);
  }

  /**
   * What the revocation will end (the whole mandate, or the démarche given
   * as `autorisation`), before it is confirmed by the POST below. Behind the
   * same fresh-TOTP guard as the POST: a stale code is asked again before
   * the page, not after the person has confirmed.
   */
  @Get('mandats/:id/revocation')
  @UseGuards(RecentTotpGuard)
  @Render('mandates/views/revocation-confirmation.njk')
  revocationConfirmation(@CurrentAidant() actor: AidantActor, @Param('id') id: string, @Query('autorisation') autorisation: unknown) {
    return this.confirmations.forAidant(actor, id, autorisation);
  }

  @Post('mandats/:id/revocation')
  @UseGuards(RecentTotpGuard)
  @UseFilters(RevocationFormFilter)
  async revoke(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string, @Body() body: Body, @Res() res: Response) {
    await this.pages.revokeAsAidant(actor, id, body, requestFactsOf(req));
    res.redirect(303, `/aidant/mandats/${id}?revoque=1`);
  }

  @Get('mandats/:id/attestation')
  @Render('mandates/views/attestation.njk')
  attestation(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string) {
    return this.pages.attestation(actor, id, 'mandate', requestFactsOf(req));
  }

  @Get('mandats/:id/attestation-revocation')
  @Render('mandates/views/attestation.njk')
  revocationAttestation(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string) {
    return this.pages.attestation(actor, id, 'revocation', requestFactsOf(req));
  }
}
