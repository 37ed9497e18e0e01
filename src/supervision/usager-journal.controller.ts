import { Controller, Get, Query, Render, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
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
  constructor(private readonly journal: UsagerJournalService) {}

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
}
