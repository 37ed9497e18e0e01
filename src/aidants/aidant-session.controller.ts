import { Body, Controller, Get, Inject, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import type { AppConfig } from '../../config/config.js';
import { destroySession, regenerateSession, sessionCookie } from '../sessions/sessions.js';
import { APP_CONFIG } from '../shared/app-config.module.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { CurrentAidant, type AidantActor } from './aidant-actor.js';
import { AidantAuthService } from './aidant-auth.service.js';
import { AllowWithoutStructure, SignedInAidantGuard } from './aidant-session.guard.js';
import { FormInput } from '../web/form-input.js';
import { LocalAuthGuard } from './local.strategy.js';
import type { SignedIn } from './sign-in.service.js';

/** Only local paths are followed after re-authentication (no open redirect). */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(value) ? value : '/aidant';
}

const signInPage = new FormPageFilter('aidants/views/connexion.njk', (req) => ({
  pageTitle: 'Connexion aidant',
  values: { email: typeof req.body?.email === 'string' ? req.body.email.slice(0, 254) : '' },
  next: nextOrNull(req.body?.suite),
}));

/** The page asked for before signing in, when there is one worth going back to. */
function nextOrNull(value: unknown): string | null {
  const next = safeNext(value);
  return next === '/aidant' ? null : next;
}

@Controller('aidant')
export class AidantSessionController {
  constructor(
    private readonly auth: AidantAuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('connexion')
  @Render('aidants/views/connexion.njk')
  signInForm(@Query('suite') next: unknown) {
    return { pageTitle: 'Connexion aidant', values: {}, errors: {}, next: nextOrNull(next) };
  }

  /** Email + password + TOTP through passport; a new session id on success. */
  @Post('connexion')
  @UseGuards(LocalAuthGuard)
  @UseFilters(signInPage)
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    const signedIn = req.user as SignedIn;
    await regenerateSession(req);
    req.session.aidant = this.auth.newSession(signedIn, requestFactsOf(req));
    // Back to the page that asked for a sign-in (a référent's /structure, say), once a structure is chosen.
    const next = nextOrNull(req.body?.suite);
    if (req.session.aidant.structureId) return res.redirect(303, next ?? this.auth.landingAfterSignIn(signedIn, req.session.aidant));
    res.redirect(303, next ? `/aidant/structure?suite=${encodeURIComponent(next)}` : '/aidant/structure');
  }

  @Post('deconnexion')
  @UseGuards(SignedInAidantGuard)
  @AllowWithoutStructure()
  async signOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.auth.signOut(req.session.aidant!, requestFactsOf(req));
    await destroySession(req);
    // With the same attributes, or a browser would ignore the clearing of a __Host- cookie.
    const cookie = sessionCookie(this.config);
    res.clearCookie(cookie.name, cookie.options);
    res.locals.signedIn = undefined;
    res.status(200).render('aidants/views/signed-out.njk', { pageTitle: 'Déconnexion' });
  }

  @Get('structure')
  @UseGuards(SignedInAidantGuard)
  @AllowWithoutStructure()
  @Render('aidants/views/structure-choice.njk')
  async chooseStructure(@Req() req: Request, @Query('suite') next: unknown) {
    const session = req.session.aidant!;
    return {
      pageTitle: 'Choisir votre structure',
      next: nextOrNull(next),
      memberships: await this.auth.usableMemberships(session.aidantId),
      currentId: session.structureId,
    };
  }

  @Post('structure')
  @UseGuards(SignedInAidantGuard)
  @AllowWithoutStructure()
  async switchStructure(@Req() req: Request, @Body() body: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const landing = await this.auth.switchStructure(req.session.aidant!, body?.structure, requestFactsOf(req));
    res.redirect(303, nextOrNull(body?.suite) ?? landing);
  }

  @Get('reauthentification')
  @UseGuards(SignedInAidantGuard)
  @Render('aidants/views/reauthentification.njk')
  reauthForm(@Query('suite') next: unknown) {
    return { pageTitle: 'Confirmez votre identité', next: safeNext(next), errors: {} };
  }

  @Post('reauthentification')
  @UseGuards(SignedInAidantGuard)
  @UseFilters(
    new FormPageFilter('aidants/views/reauthentification.njk', (req) => ({
      pageTitle: 'Confirmez votre identité',
      next: safeNext(req.body?.suite),
    })),
  )
  async reauthenticate(@Req() req: Request, @CurrentAidant() actor: AidantActor, @Res() res: Response): Promise<void> {
    const form = new FormInput(req.body);
    const code = form.totp();
    form.done();
    await this.auth.reauthenticate(req.session.aidant!, actor, code, requestFactsOf(req));
    res.redirect(303, safeNext(req.body?.suite));
  }
}
