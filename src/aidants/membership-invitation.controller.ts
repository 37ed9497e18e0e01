import { Body, Controller, Get, Post, Query, Render, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { CurrentAidant, type AidantActor } from './aidant-actor.js';
import { AllowWithoutStructure, SignedInAidantGuard } from './aidant-session.guard.js';
import { FormInput } from '../web/form-input.js';
import { MembershipInvitationsService } from './membership-invitations.service.js';

const ANSWERS: Record<string, boolean> = { accepter: true, refuser: false };

function tokenOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * `/aidant/rejoindre?jeton=…`: the owner of an existing account, signed in,
 * accepts or declines a structure's invitation (the link came by mail).
 */
@Controller('aidant/rejoindre')
@UseGuards(SignedInAidantGuard)
export class MembershipInvitationController {
  constructor(private readonly offers: MembershipInvitationsService) {}

  @Get()
  @AllowWithoutStructure()
  @Render('aidants/views/rejoindre.njk')
  async offer(@CurrentAidant() actor: AidantActor, @Query('jeton') token: unknown) {
    return { pageTitle: 'Rejoindre une structure', ...(await this.offers.pending(actor.aidantId, tokenOf(token))) };
  }

  @Post()
  @AllowWithoutStructure()
  async answer(@CurrentAidant() actor: AidantActor, @Body() body: unknown, @Req() req: Request, @Res() res: Response) {
    const form = new FormInput(body);
    const answer = form.text('reponse', 'votre réponse', { max: 10 });
    if (!(answer in ANSWERS)) form.fail('reponse', 'Choisissez « Accepter » ou « Refuser ».');
    form.done();
    const token = tokenOf((body as Record<string, unknown> | undefined)?.jeton);
    const { structure, accepted } = await this.offers.respond(actor.aidantId, token, ANSWERS[answer]!, requestFactsOf(req));
    res.status(200).render('aidants/views/rejoindre-fait.njk', { pageTitle: 'Réponse enregistrée', structureName: structure.name, accepted });
  }
}
