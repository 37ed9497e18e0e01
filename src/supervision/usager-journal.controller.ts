import { Controller, Get, Param, Query, Render, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { JournalProofs } from '../journal/proofs/journal-proofs.service.js';
import { NotFoundError } from '../shared/domain-error.js';
import { CurrentUsager, SignedInUsagerGuard } from '../usagers/usager-session.guard.js';
import type { UsagerView } from '../usagers/usagers.types.js';
import { usagerName } from './entry-names.js';
import { writeChunk } from './journal-download.js';
import { UsagerJournalService } from './usager-journal.service.js';

const who = (u: UsagerView) => ({ id: u.id, name: usagerName(u) });

/** `/usager/journal`: what was done in the usager's name, and its download (right of access). */
@Controller('usager/journal')
@UseGuards(SignedInUsagerGuard)
export class UsagerJournalController {
  constructor(
    private readonly journal: UsagerJournalService,
    private readonly proofs: JournalProofs,
  ) {}

  @Get()
  @Render('supervision/views/usager-journal.njk')
  async page(@CurrentUsager() usager: UsagerView, @Query('apres') after: unknown) {
    return { pageTitle: 'Ce qui a été fait en mon nom', ...(await this.journal.page(who(usager), typeof after === 'string' && after !== '' ? after : null)) };
  }

  @Get('telechargement')
  async download(@CurrentUsager() usager: UsagerView, @Res() res: Response) {
    res.status(200);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="procuration-mon-journal-${new Date().toISOString().slice(0, 10)}.json"`);
    res.setHeader('Cache-Control', 'no-store');
    for await (const chunk of this.journal.download(who(usager))) {
      if (!(await writeChunk(res, chunk))) return;
    }
    res.end();
  }

  /**
   * The inclusion proof of one entry about the usager (docs/journal-proofs.md),
   * redacted: the commitment to the request facts instead of the IP address
   * and browser of whoever acted (docs/decisions/0109). Any other entry: 404.
   */
  @Get(':chain/:seq/preuve')
  async proof(@CurrentUsager() usager: UsagerView, @Param('chain') chain: string, @Param('seq') seq: string, @Res() res: Response) {
    const bundle = /^[1-9][0-9]{0,15}$/.test(seq) ? await this.proofs.bundle(chain, Number(seq), usager.id) : null;
    if (!bundle) throw new NotFoundError('Cette inscription n’existe pas dans votre journal.', 'proof of an entry not about the usager');
    res.setHeader('Content-Disposition', `attachment; filename="procuration-preuve-${bundle.entry.chain}-${bundle.entry.seq}.json"`);
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/json').send(`${JSON.stringify(bundle, null, 2)}\n`);
  }
}
