import { Body, Controller, Get, Param, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentAidant, type AidantActor } from '../aidants/aidant-actor.js';
import { RecentTotpGuard, SignedInAidantGuard } from '../aidants/aidant-session.guard.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { RepeatedFields } from '../web/input-guard.js';
import { MandatePagesService } from './mandate-pages.service.js';
import { MandateWizardService } from './mandate-wizard.service.js';
import { RevocationConfirmationsService } from './revocation-confirmations.service.js';

type Body = Record<string, unknown> | undefined;
const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Re-renders step 1 with the choice typed. */
function choicePage(wizard: () => MandateWizardService) {
  return new FormPageFilter('mandates/views/nouveau.njk', async (req) => ({
    ...(await wizard().choiceForm(req.aidantActor!)),
    values: { demarches: list(req.body?.demarches), duree: req.body?.duree },
  }));
}

/** The aidant's mandate pages: dashboard, wizard, detail, renewal, revocation, attestations. */
@Controller('aidant')
@UseGuards(SignedInAidantGuard)
export class MandatesController {
  // Form filters are built at decoration time and only get the request: they
  // reach the services that rebuild a page model through these references.
  private static wizard: MandateWizardService;
  private static confirmations: RevocationConfirmationsService;

  constructor(
    private readonly wizard: MandateWizardService,
    private readonly pages: MandatePagesService,
    private readonly confirmations: RevocationConfirmationsService,
  ) {
    MandatesController.wizard = wizard;
    MandatesController.confirmations = confirmations;
  }

  @Get()
  @Render('mandates/views/tableau-de-bord.njk')
  dashboard(@CurrentAidant() actor: AidantActor, @Query() query: Record<string, unknown>) {
    return this.pages.dashboard(actor, query);
  }

  @Get('mandats/nouveau')
  @Render('mandates/views/nouveau.njk')
  async choiceForm(@CurrentAidant() actor: AidantActor, @Req() req: Request) {
    this.wizard.abandon(req);
    return { ...(await this.wizard.choiceForm(actor)), values: {}, errors: {} };
  }

  @Post('mandats/nouveau')
  @RepeatedFields('demarches')
  @UseFilters(choicePage(() => MandatesController.wizard))
  async start(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: Body, @Res() res: Response) {
    await this.wizard.start(req, actor, body);
    res.redirect(303, '/aidant/mandats/nouveau/franceconnect');
  }

  @Get('mandats/nouveau/franceconnect')
  @Render('mandates/views/franceconnect.njk')
  consentPage(@CurrentAidant() actor: AidantActor, @Req() req: Request) {
    return this.wizard.consentPage(req, actor);
  }

  @Post('mandats/nouveau/franceconnect')
  async startConsent(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Res() res: Response) {
    res.redirect(303, await this.wizard.startConsent(req, actor));
  }

  @Get('mandats/nouveau/recapitulatif')
  @Render('mandates/views/recapitulatif.njk')
  recap(@CurrentAidant() actor: AidantActor, @Req() req: Request) {
    return { ...this.wizard.recapPage(req, actor), errors: {} };
  }

  @Post('mandats/nouveau/recapitulatif')
  @UseFilters(new FormPageFilter('mandates/views/recapitulatif.njk', (req) => MandatesController.wizard.recapPage(req, req.aidantActor!)))
  async confirm(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: Body, @Res() res: Response) {
    const id = await this.wizard.confirm(req, actor, body);
    res.redirect(303, `/aidant/mandats/${id}?cree=1`);
  }

  @Post('mandats/nouveau/abandon')
  abandon(@Req() req: Request, @Res() res: Response) {
    this.wizard.abandon(req);
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
  @UseFilters(
    new FormPageFilter('mandates/views/renouvellement.njk', async (req) => ({
      ...(await MandatesController.wizard.renewalPage(req.aidantActor!, String(req.params.id))),
      values: { demarches: list(req.body?.demarches), duree: req.body?.duree },
    })),
  )
  async renew(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string, @Body() body: Body, @Res() res: Response) {
    const renewed = await this.wizard.renew(req, actor, id, body);
    res.redirect(303, `/aidant/mandats/${renewed}?cree=1`);
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
  @UseFilters(
    new FormPageFilter('mandates/views/revocation-confirmation.njk', async (req) => ({
      ...(await MandatesController.confirmations.forAidant(req.aidantActor!, String(req.params.id), req.body?.autorisation)),
      values: { motif: typeof req.body?.motif === 'string' ? req.body.motif : '' },
    })),
  )
  async revoke(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string, @Body() body: Body, @Res() res: Response) {
    await this.pages.revokeAsAidant(req, actor, id, body);
    res.redirect(303, `/aidant/mandats/${id}?revoque=1`);
  }

  @Get('mandats/:id/attestation')
  @Render('mandates/views/attestation.njk')
  attestation(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string) {
    return this.pages.attestation(req, actor, id, 'mandate');
  }

  @Get('mandats/:id/attestation-revocation')
  @Render('mandates/views/attestation.njk')
  revocationAttestation(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Param('id') id: string) {
    return this.pages.attestation(req, actor, id, 'revocation');
  }
}
