import { Controller, Get, Param, Post, Query, Render, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentAidant, type AidantActor } from '../aidants/aidant-actor.js';
import { ReferentGuard, SignedInAidantGuard } from '../aidants/aidant-session.guard.js';
import { JournalProofs } from '../journal/proofs/journal-proofs.service.js';
import { requestFactsOf } from '../journal/request-facts.js';
import { NotFoundError } from '../shared/domain-error.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { ChainVerificationService } from './chain-verification.service.js';
import { DashboardService } from './dashboard.service.js';
import { downloadSinkOf } from './journal-download.js';
import { JournalExportService } from './journal-export.service.js';
import { SEARCH_FIELDS } from './journal-search.js';
import { SupervisionJournalService } from './supervision-journal.service.js';

const SEARCH_PAGE = 'supervision/views/journal.njk';

/** A refused search shows the form again with the values typed and the errors on their fields. */
const rerenderSearch = new FormPageFilter(SEARCH_PAGE, (req) => ({
  pageTitle: 'Journal de la structure',
  ...(req.res?.locals.searchChoices ?? {}),
  values: typed(req.query),
  entries: [],
}));

function typed(query: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of SEARCH_FIELDS) {
    const value = (query as Record<string, unknown> | undefined)?.[name];
    if (typeof value === 'string') values[name] = value.slice(0, 200);
  }
  return values;
}

/** `/structure`: the référent's dashboard and the structure's journal (search, entry, export, verification). */
@Controller('structure')
@UseGuards(SignedInAidantGuard, ReferentGuard)
export class SupervisionController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly journal: SupervisionJournalService,
    private readonly exporter: JournalExportService,
    private readonly verification: ChainVerificationService,
    private readonly proofs: JournalProofs,
  ) {}

  @Get()
  @Render('supervision/views/dashboard.njk')
  overview(@CurrentAidant() actor: AidantActor) {
    return this.dashboard.overview(actor, actor.structureId);
  }

  @Get('journal')
  @Render(SEARCH_PAGE)
  @UseFilters(rerenderSearch)
  async search(@CurrentAidant() actor: AidantActor, @Query() query: Record<string, unknown>, @Res({ passthrough: true }) res: Response) {
    res.locals.searchChoices = await this.journal.choices(actor, actor.structureId);
    const after = typeof query.apres === 'string' && query.apres !== '' ? query.apres : null;
    return { pageTitle: 'Journal de la structure', ...(await this.journal.search(actor, actor.structureId, query, after)), errors: {} };
  }

  @Get('journal/export')
  @UseFilters(rerenderSearch)
  async export(@CurrentAidant() actor: AidantActor, @Query() query: Record<string, unknown>, @Req() req: Request, @Res() res: Response) {
    res.locals.searchChoices = await this.journal.choices(actor, actor.structureId);
    await this.exporter.export(actor, actor.structureId, query, requestFactsOf(req), downloadSinkOf(res));
  }

  @Get('journal/verification')
  @Render('supervision/views/verification.njk')
  async verificationPage(@CurrentAidant() actor: AidantActor, @Res({ passthrough: true }) res: Response) {
    const status = await this.verification.status(actor, actor.structureId);
    // The page reloads itself while the verification runs (a header: no inline script).
    if (status.run?.state === 'running') res.setHeader('Refresh', '2');
    return { pageTitle: 'Vérification du journal', ...status };
  }

  @Post('journal/verification')
  async verify(@CurrentAidant() actor: AidantActor, @Req() req: Request, @Res() res: Response) {
    await this.verification.start(actor, actor.structureId, requestFactsOf(req));
    res.redirect(303, '/structure/journal/verification');
  }

  @Get('journal/:chain/:seq')
  @Render('supervision/views/entry.njk')
  async entry(@CurrentAidant() actor: AidantActor, @Param('chain') chain: string, @Param('seq') seq: string) {
    if (chain.toLowerCase() !== actor.structureId.toLowerCase()) {
      throw new NotFoundError('Cette entrée n’existe pas dans le journal de votre structure.', 'journal entry of another chain');
    }
    return { pageTitle: 'Entrée du journal', ...(await this.journal.entry(actor, actor.structureId, seq)) };
  }

  /** The inclusion proof bundle of one entry of the structure's chain (docs/journal-proofs.md). */
  @Get('journal/:chain/:seq/preuve')
  async proof(@CurrentAidant() actor: AidantActor, @Param('chain') chain: string, @Param('seq') seq: string, @Res() res: Response) {
    const bundle =
      chain.toLowerCase() === actor.structureId.toLowerCase() && /^[1-9][0-9]{0,15}$/.test(seq)
        ? await this.proofs.bundle(actor.structureId, Number(seq))
        : null;
    if (!bundle) throw new NotFoundError('Cette entrée n’existe pas dans le journal de votre structure.', 'proof of an entry outside the structure');
    res.setHeader('Content-Disposition', `attachment; filename="procuration-preuve-${bundle.entry.chain}-${bundle.entry.seq}.json"`);
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/json').send(`${JSON.stringify(bundle, null, 2)}\n`);
  }
}
