import { Controller, Get, Query, Render, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { requestFactsOf } from '../journal/request-facts.js';
import { FormPageFilter } from '../web/form-page.filter.js';
import { VERIFICATION_PATH } from './attestations.service.js';
import { MandatePagesService } from './mandate-pages.service.js';

/** Public verification of an attestation (the QR code's short link, or a pasted signature). */
@Controller()
export class AttestationsController {
  constructor(private readonly pages: MandatePagesService) {}

  @Get(VERIFICATION_PATH)
  @Render('mandates/views/verification.njk')
  @UseFilters(new FormPageFilter('mandates/views/verification.njk', () => ({ pageTitle: 'Vérifier une attestation', result: null })))
  verify(@Req() req: Request, @Query('jws') jws: unknown, @Query('id') id: unknown) {
    return this.pages.verification({ jws, id }, requestFactsOf(req));
  }
}
