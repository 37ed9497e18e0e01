import { Controller, Get, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { CurrentUsager, SignedInUsagerGuard } from '../usagers/usager-session.guard.js';
import type { UsagerView } from '../usagers/usagers.types.js';
import { FormInput } from '../web/form-input.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { CONFIRMATION_HOURS, NOTICE_MODES, NoticeAddressService, type NoticeMode, type NoticeSettings } from './notice-address.service.js';

const OPTIONS: Array<{ value: NoticeMode; label: string }> = [
  { value: 'each', label: 'À chaque utilisation de mes mandats' },
  { value: 'daily', label: 'Un résumé par jour des utilisations (les autres messages partent aussitôt)' },
  { value: 'none', label: 'Jamais : je ne veux pas être prévenu' },
];

function pageOf(settings: NoticeSettings, values: { email: string; mode: NoticeMode }, extra: Record<string, unknown> = {}) {
  return { pageTitle: 'Être prévenu', settings, values, options: OPTIONS, hours: CONFIRMATION_HOURS, errors: {}, ...extra };
}

function tokenOf(value: unknown): string {
  return typeof value === 'string' && value.length <= 100 ? value : '';
}

/**
 * `/usager/prevenu`: the usager's address for notices and how often they
 * want them; `/usager/prevenu/confirmation?jeton=…`: the link mailed to a new
 * address (the token in the query string and the form, never in the path).
 */
@Controller('usager/prevenu')
export class NoticeAddressController {
  constructor(private readonly addresses: NoticeAddressService) {}

  @Get()
  @UseGuards(SignedInUsagerGuard)
  async page(@CurrentUsager() usager: UsagerView, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const settings = await this.addresses.settings(usager.id);
    const email = settings.bounced ? '' : (settings.email ?? usager.email ?? '');
    res.render(
      'notices/views/etre-prevenu.njk',
      pageOf(settings, { email, mode: settings.email ? settings.mode : 'each' }, { linkSent: query.lien === '1', saved: query.enregistre === '1' }),
    );
  }

  @Post()
  @UseGuards(SignedInUsagerGuard)
  @UseFilters(new FormPageFilter('notices/views/etre-prevenu.njk', (req) => req.res?.locals.noticePage ?? null))
  async choose(@Req() req: Request, @CurrentUsager() usager: UsagerView, @Res() res: Response): Promise<void> {
    const form = new FormInput(req.body);
    const mode = form.text('frequence', 'quand vous voulez être prévenu', { max: 10 }) as NoticeMode;
    if (!form.errors.frequence && !NOTICE_MODES.includes(mode)) form.fail('frequence', 'Choisissez une des trois possibilités proposées.');
    const typed = typeof (req.body as Record<string, unknown>)?.email === 'string' ? String((req.body as Record<string, unknown>).email).trim() : '';
    const email = mode === 'none' && typed === '' ? '' : form.email('email');
    res.locals.noticePage = pageOf(await this.addresses.settings(usager.id), { email: typed.slice(0, 254), mode });
    form.done();
    const outcome = await this.addresses.choose(usager.id, { email, mode }, requestFactsOf(req));
    res.redirect(303, outcome === 'link_sent' ? '/usager/prevenu?lien=1' : '/usager/prevenu?enregistre=1');
  }

  @Get('confirmation')
  async confirmationPage(@Query('jeton') token: unknown, @Res() res: Response): Promise<void> {
    const { email } = await this.addresses.pending(tokenOf(token));
    res.render('notices/views/confirmation.njk', { pageTitle: 'Confirmer votre adresse', email, token: tokenOf(token) });
  }

  @Post('confirmation')
  async confirm(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.addresses.confirm(tokenOf((req.body as Record<string, unknown> | undefined)?.jeton), requestFactsOf(req));
    res.status(200).render('notices/views/confirmation.njk', { pageTitle: 'Adresse confirmée', done: true });
  }
}
