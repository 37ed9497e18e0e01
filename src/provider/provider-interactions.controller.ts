import { Body, Catch, Controller, Logger, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { CurrentAidant, type AidantActor } from '../aidants/aidant-actor.js';
import { AidantAuthService } from '../aidants/aidant-auth.service.js';
import { SignedInAidantGuard } from '../aidants/aidant-session.guard.js';
import { NotSignedInError } from '../aidants/aidants.errors.js';
import { LocalAuthGuard } from '../aidants/local.strategy.js';
import type { SignedIn } from '../aidants/sign-in.service.js';
import { Clock } from '../clock/clock.js';
import { DEMARCHES } from '../demarches/demarches.js';
import { TOTP_FRESHNESS_MS } from '../sessions/session-data.js';
import { regenerateSession } from '../sessions/sessions.js';
import { sendProblem, toProblem } from '../web/error-page.filter.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { IDENTITY_CLAIM_LABELS } from './provider.claims.js';
import { INTERACTION_PATH } from './provider.configuration.js';
import { ProviderInteractionsService, type InteractionRequest } from './provider-interactions.service.js';

const UID = /^[A-Za-z0-9_-]{10,64}$/;

/** What the provider needs of this request to find its interaction. */
function interactionOf(req: Request, res: Response): InteractionRequest {
  return { req, res, path: req.path, uid: String(req.params.uid) };
}

/** An aidant session that ended mid-interaction: back to the interaction's sign-in step. */
@Catch()
class InteractionSignInFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProviderInteractions');

  catch(error: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const uid = String(req.params?.uid ?? '');
    if (error instanceof NotSignedInError && UID.test(uid)) {
      res.redirect(303, `${INTERACTION_PATH}/${uid}?expiree=1`);
      return;
    }
    const problem = toProblem(error);
    if (problem.status >= 500) this.logger.error({ err: error, code: problem.code }, 'interaction failed');
    else this.logger.debug({ code: problem.code, reason: (error as Error)?.message }, 'interaction refused');
    if (!res.headersSent) sendProblem(req, res, problem);
  }
}

function labelOf(id: string): string {
  return DEMARCHES.find((d) => d.id === id)?.label ?? id;
}

/**
 * The pages an aidant goes through between the partner's "Se connecter avec
 * Procuration" and the return to the partner: sign in (or reuse the
 * session, with a TOTP code of less than 15 minutes), choose the usager,
 * the démarche, confirm. The last answer is a page on our own origin that
 * moves on to the provider's resume URL (a new navigation, so the CSP's
 * form-action never meets the partner's origin).
 */
@Controller(INTERACTION_PATH.slice(1))
@UseFilters(InteractionSignInFilter)
export class ProviderInteractionsController {
  constructor(
    private readonly interactions: ProviderInteractionsService,
    private readonly auth: AidantAuthService,
    private readonly clock: Clock,
  ) {}

  @Get(':uid')
  async start(@Req() req: Request, @Res() res: Response, @Query('expiree') expired: unknown): Promise<void> {
    const ctx = await this.interactions.context(interactionOf(req, res));
    if (req.session.aidant) return res.redirect(303, `${INTERACTION_PATH}/${ctx.uid}/usager`);
    res.render('provider/views/connexion.njk', {
      pageTitle: 'Connexion avec Procuration',
      partner: ctx.partner,
      uid: ctx.uid,
      values: {},
      errors: {},
      notice: expired ? 'Votre session a expiré : reconnectez-vous pour continuer.' : null,
    });
  }

  @Post(':uid/identification')
  @UseGuards(LocalAuthGuard)
  @UseFilters(
    new FormPageFilter('provider/views/connexion.njk', (req) => ({
      pageTitle: 'Connexion avec Procuration',
      uid: UID.test(String(req.params.uid)) ? req.params.uid : '',
      partner: null,
      values: { email: typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '' },
    })),
  )
  async signIn(@Req() req: Request, @Res() res: Response, @Param('uid') uid: string): Promise<void> {
    const signedIn = req.user as SignedIn;
    await regenerateSession(req);
    req.session.aidant = this.auth.newSession(signedIn, requestFactsOf(req));
    res.redirect(303, `${INTERACTION_PATH}/${UID.test(uid) ? uid : ''}/usager`);
  }

  @Get(':uid/usager')
  @UseGuards(SignedInAidantGuard)
  async chooseUsager(@Req() req: Request, @Res() res: Response, @CurrentAidant() actor: AidantActor): Promise<void> {
    const ctx = await this.interactions.context(interactionOf(req, res));
    if (this.clock.nowMs() - actor.totpAt > TOTP_FRESHNESS_MS) {
      return res.redirect(303, `/aidant/reauthentification?suite=${encodeURIComponent(`${INTERACTION_PATH}/${ctx.uid}/usager`)}`);
    }
    const candidates = await this.interactions.candidates(actor, ctx);
    if (candidates.length === 0) {
      return res.status(200).render('provider/views/aucun-usager.njk', {
        pageTitle: 'Aucun usager possible',
        partner: ctx.partner,
        uid: ctx.uid,
        canAct: actor.canOpenMandates,
        demarches: ctx.partner.demarches.map(labelOf),
        repScope: (ctx.repScope ?? []).map(labelOf),
      });
    }
    res.render('provider/views/usagers.njk', { pageTitle: 'Pour qui agissez-vous ?', partner: ctx.partner, uid: ctx.uid, candidates });
  }

  @Get(':uid/demarche')
  @UseGuards(SignedInAidantGuard)
  async chooseDemarche(@Req() req: Request, @Res() res: Response, @CurrentAidant() actor: AidantActor, @Query('usager') usager: unknown) {
    const ctx = await this.interactions.context(interactionOf(req, res));
    const candidate = await this.interactions.candidate(actor, ctx, usager);
    const demarches = candidate.autorisations.map((a) => ({ id: a.demarche, label: labelOf(a.demarche), expiresAt: a.expiresAt }));
    res.render('provider/views/demarches.njk', { pageTitle: 'Pour quelle démarche ?', partner: ctx.partner, uid: ctx.uid, candidate, demarches });
  }

  @Get(':uid/confirmation')
  @UseGuards(SignedInAidantGuard)
  async recap(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentAidant() actor: AidantActor,
    @Query('usager') usager: unknown,
    @Query('demarche') demarche: unknown,
  ) {
    const ctx = await this.interactions.context(interactionOf(req, res));
    const candidate = await this.interactions.candidate(actor, ctx, usager);
    const autorisation = candidate.autorisations.find((a) => a.demarche === demarche);
    if (!autorisation) return res.redirect(303, `${INTERACTION_PATH}/${ctx.uid}/demarche?usager=${encodeURIComponent(candidate.usager.id)}`);
    res.render('provider/views/confirmation.njk', {
      pageTitle: 'Confirmer la connexion',
      partner: ctx.partner,
      uid: ctx.uid,
      candidate,
      actor,
      demarche: { id: autorisation.demarche, label: labelOf(autorisation.demarche) },
      autorisation,
      released: ctx.released.map((claim) => IDENTITY_CLAIM_LABELS[claim as keyof typeof IDENTITY_CLAIM_LABELS]),
    });
  }

  @Post(':uid/confirmation')
  @UseGuards(SignedInAidantGuard)
  async confirm(@Req() req: Request, @Res() res: Response, @CurrentAidant() actor: AidantActor, @Body() body: Record<string, unknown>) {
    const url = await this.interactions.confirm(interactionOf(req, res), actor, { usagerId: body?.usager, demarche: body?.demarche }, requestFactsOf(req));
    this.continueTo(res, url);
  }

  @Post(':uid/abandon')
  @UseGuards(SignedInAidantGuard)
  async abandon(@Req() req: Request, @Res() res: Response, @CurrentAidant() actor: AidantActor, @Body() body: Record<string, unknown>) {
    const reason = body?.motif === 'aucun_usager' ? 'no_live_mandate' : 'aidant_cancelled';
    this.continueTo(res, await this.interactions.refuse(interactionOf(req, res), actor, reason, requestFactsOf(req)));
  }

  @Post(':uid/annulation')
  async cancel(@Req() req: Request, @Res() res: Response) {
    this.continueTo(res, await this.interactions.refuse(interactionOf(req, res), undefined, 'aidant_cancelled', requestFactsOf(req)));
  }

  /** A page of our own origin that moves on to the provider's resume URL (Refresh, and a link without script). */
  private continueTo(res: Response, url: string): void {
    const path = new URL(url).pathname;
    res.setHeader('Refresh', `0;url=${path}`);
    res.status(200).render('provider/views/suite.njk', { pageTitle: 'Retour au service partenaire', url: path });
  }
}
