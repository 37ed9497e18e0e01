import { Body, Controller, Get, Param, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { RepeatedFields } from '../web/input-guard.js';
import { CurrentAidant, type AidantActor } from './aidant-actor.js';
import { ReferentGuard, SignedInAidantGuard } from './aidant-session.guard.js';
import { ReferentConfirmationsService } from './referent-confirmations.service.js';
import { ReferentService } from './referent.service.js';

const PAGE = 'aidants/views/referent-aidants.njk';
const CONFIRMATION = 'aidants/views/referent-confirmation.njk';
/** A refused form shows the page again, with the values typed (never a code). */
const rerender = new FormPageFilter(PAGE, (req) =>
  // Without the page (refused before it was read), the error page is shown instead.
  req.res?.locals.referentPage ? {
  ...req.res.locals.referentPage,
  values: pick(req.body, ['email', 'givenName', 'familyName', 'profession', 'phone', 'serial']),
  target: typeof req.params.aidantId === 'string' ? req.params.aidantId : null,
  resync: req.path.endsWith('/resynchronisation'),
} : null);

function pick(body: unknown, names: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = (body as Record<string, unknown> | undefined)?.[name];
    if (typeof value === 'string') values[name] = value.slice(0, 254);
  }
  return values;
}

/** `/structure/aidants`: the référent manages the aidants of their current structure. */
@Controller('structure')
@UseGuards(SignedInAidantGuard, ReferentGuard)
export class ReferentController {
  constructor(
    private readonly referent: ReferentService,
    private readonly confirmations: ReferentConfirmationsService,
  ) {}

  @Get('aidants')
  @Render(PAGE)
  async list(@CurrentAidant() actor: AidantActor) {
    return { ...(await this.referent.overview(actor, actor.structureId)), values: {}, errors: {} };
  }

  @Post('aidants/invitation')
  @RepeatedFields('roles')
  @UseFilters(rerender)
  async invite(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: unknown, @Res() res: Response) {
    res.locals.referentPage = await this.referent.overview(actor, actor.structureId);
    const { email } = await this.referent.invite(actor, actor.structureId, body, requestFactsOf(req));
    res.status(200).render('aidants/views/referent-invited.njk', { pageTitle: 'Invitation envoyée', email });
  }

  /** Who will be suspended and what it does, before the POST below. */
  @Get('aidants/:aidantId/suspension')
  @Render(CONFIRMATION)
  suspensionConfirmation(@CurrentAidant() actor: AidantActor, @Param('aidantId') aidantId: string) {
    return this.confirmations.suspension(actor, actor.structureId, aidantId);
  }

  @Post('aidants/:aidantId/suspension')
  async suspend(@CurrentAidant() actor: AidantActor, @Param('aidantId') aidantId: string, @Req() req: Request, @Res() res: Response) {
    await this.referent.setSuspended(actor, actor.structureId, aidantId, true, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }

  @Post('aidants/:aidantId/reactivation')
  async reactivate(@CurrentAidant() actor: AidantActor, @Param('aidantId') aidantId: string, @Req() req: Request, @Res() res: Response) {
    await this.referent.setSuspended(actor, actor.structureId, aidantId, false, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }

  @Post('aidants/:aidantId/referent')
  async grantReferent(@CurrentAidant() actor: AidantActor, @Param('aidantId') aidantId: string, @Req() req: Request, @Res() res: Response) {
    await this.referent.setReferent(actor, actor.structureId, aidantId, true, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }

  @Post('aidants/:aidantId/referent/retrait')
  async withdrawReferent(@CurrentAidant() actor: AidantActor, @Param('aidantId') aidantId: string, @Req() req: Request, @Res() res: Response) {
    await this.referent.setReferent(actor, actor.structureId, aidantId, false, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }

  @Post('aidants/:aidantId/carte')
  @UseFilters(rerender)
  async registerCard(
    @CurrentAidant() actor: AidantActor,
    @Param('aidantId') aidantId: string,
    @Req() req: Request,
    @Body() body: unknown,
    @Res() res: Response,
  ) {
    res.locals.referentPage = await this.referent.overview(actor, actor.structureId);
    await this.referent.registerCard(actor, actor.structureId, aidantId, body, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }

  @Post('aidants/:aidantId/carte/resynchronisation')
  @UseFilters(rerender)
  async resynchroniseCard(
    @CurrentAidant() actor: AidantActor,
    @Param('aidantId') aidantId: string,
    @Req() req: Request,
    @Body() body: unknown,
    @Res() res: Response,
  ) {
    res.locals.referentPage = await this.referent.overview(actor, actor.structureId);
    await this.referent.resynchroniseCard(actor, actor.structureId, aidantId, body, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }

  /** Whose card (`serie`) will be disabled, before the POST below. */
  @Get('aidants/:aidantId/carte/desactivation')
  @Render(CONFIRMATION)
  cardDisablingConfirmation(@CurrentAidant() actor: AidantActor, @Param('aidantId') aidantId: string, @Query('serie') serial: unknown) {
    return this.confirmations.cardDisabling(actor, actor.structureId, aidantId, serial);
  }

  @Post('aidants/:aidantId/carte/desactivation')
  async disableCard(@CurrentAidant() actor: AidantActor, @Param('aidantId') aidantId: string, @Req() req: Request, @Body() body: unknown, @Res() res: Response) {
    await this.referent.disableCard(actor, actor.structureId, aidantId, body, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }

  @Post('demarches')
  @RepeatedFields('demarches')
  @UseFilters(rerender)
  async restrictDemarches(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Body() body: unknown, @Res() res: Response) {
    res.locals.referentPage = await this.referent.overview(actor, actor.structureId);
    await this.referent.restrictDemarches(actor, actor.structureId, body, requestFactsOf(req));
    res.redirect(303, '/structure/aidants');
  }
}
